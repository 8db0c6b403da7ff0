"use client";
import { useRouter } from "next/navigation";
import { useEffect } from "react";

/** Tells the server the browser's time zone once, so pages render times where the moderator is. */
export function TimeZoneCookie() {
  const router = useRouter();
  useEffect(() => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const current = document.cookie.split("; ").find((c) => c.startsWith("dcon_tz="))?.slice(8);
    if (zone && decodeURIComponent(current ?? "") !== zone) {
      document.cookie = `dcon_tz=${encodeURIComponent(zone)}; path=/; max-age=31536000; samesite=strict`;
      router.refresh();
    }
  }, [router]);
  return null;
}
