/** The benchmarks' GraphQL over HTTP, and the mutation they time: a mute toggle that always writes one event. */

export class GraphQLHttp {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  /** The data of a request that must succeed; throws with the errors otherwise. */
  async gql<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(`${this.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: unknown[] };
    if (body.errors?.length || !body.data) throw new Error(`GraphQL errors (HTTP ${res.status}): ${JSON.stringify(body.errors)}`);
    return body.data;
  }
}

const MUTE = `mutation($id: ID!) { muteUser(id: $id) { id muted } }`;
const UNMUTE = `mutation($id: ID!) { unmuteUser(id: $id) { id muted } }`;

/** Each user's mute state, so every mutation changes it and so writes exactly one event. */
export class MuteToggle {
  private readonly muted = new Map<string, boolean>();

  /** The event the next toggle of this user will write. */
  nextType(userId: string): "USER_MUTED" | "USER_UNMUTED" {
    return (this.muted.get(userId) ?? false) ? "USER_UNMUTED" : "USER_MUTED";
  }

  async toggle(http: GraphQLHttp, userId: string): Promise<"USER_MUTED" | "USER_UNMUTED"> {
    const muted = this.muted.get(userId) ?? false;
    await http.gql(muted ? UNMUTE : MUTE, { id: userId });
    this.muted.set(userId, !muted);
    return muted ? "USER_UNMUTED" : "USER_MUTED";
  }
}

/** The subscription every benchmark subscriber holds: each event with its payload, after the full state. */
export const EVENTS_SUBSCRIPTION = `subscription($id: ID!) { conferenceEvents(conferenceId: $id) {
  kind
  state { version conference { id locked } users { id muted joinState } }
  event { seq type origin at payload }
} }`;
