import type { Metadata } from "next";
import { ActionButton } from "@/components/action-button";
import { gql } from "@/lib/focus";
import { requireSession } from "@/lib/session";
import { displayZone, formatWhen } from "@/lib/time";
import { deleteAccount } from "./actions";
import { CreateAccountForm, ResetPasswordForm } from "./account-forms";

export const metadata: Metadata = { title: "Accounts" };
export const dynamic = "force-dynamic";

interface Account {
  id: string;
  username: string;
  role: "ADMIN" | "INTEGRATOR" | "CONFERENCE";
  createdAt: string;
}

export default async function AccountsPage() {
  const s = await requireSession();
  if (s.role !== "ADMIN") {
    return (
      <main className="narrow stack">
        <h1>Accounts</h1>
        <p>Only admins manage accounts.</p>
      </main>
    );
  }
  const { accounts } = await gql<{ accounts: Account[] }>(s.token, `query { accounts { id username role createdAt } }`);
  const zone = await displayZone();
  return (
    <main className="stack">
      <h1>Accounts</h1>
      <p className="muted">People sign in to the portal with these. An account&apos;s role is the role of the sessions it opens.</p>
      <section className="card stack" aria-labelledby="accounts-title">
        <h2 id="accounts-title">Accounts ({accounts.length})</h2>
        {accounts.length === 0 ? (
          <p className="empty">No accounts yet: everyone signs in with an API token.</p>
        ) : (
          <div className="table-wrap">
            <table className="stacked">
              <thead>
                <tr>
                  <th scope="col">User name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Created</th>
                  <th scope="col"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {accounts.map((a) => (
                  <tr key={a.id}>
                    <td data-label="User name"><strong>{a.username}</strong></td>
                    <td data-label="Role">{a.role === "ADMIN" ? "admin" : "integrator"}</td>
                    <td data-label="Created"><time dateTime={a.createdAt}>{formatWhen(a.createdAt, zone)}</time></td>
                    <td data-label="Actions">
                      <div className="row">
                        <ResetPasswordForm id={a.id} username={a.username} />
                        <ActionButton
                          action={deleteAccount.bind(null, a.id)}
                          variant="danger"
                          label={`Delete ${a.username}`}
                          confirm={`Delete the account ${a.username}? Its open sessions end and it can no longer sign in.`}
                          confirmLabel="Delete"
                        >
                          Delete
                        </ActionButton>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <CreateAccountForm />
    </main>
  );
}
