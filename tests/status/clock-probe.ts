// Run as a child with TZ set (or unset): prints, as JSON, every moment where the machine clock
// (libc's localtime_r, and Date's getters as the fallback) disagrees with Intl for that zone.
import { machineClock, makeClock } from "../../src/ui/status/clock.ts";
import { dateLocalTime, machineLocalTime } from "../../src/ui/status/local-time.ts";

const zone = process.env.TZ;
const intl = zone === undefined ? makeClock(undefined, "en-US") : makeClock(zone, "en-US");
const libc = machineClock();
const dates = machineClock(dateLocalTime);
const moments: number[] = [];
// Every 7 minutes over 2024–2027 would be 300k; a 53-minute step still lands on every hour and
// minute offset, both sides of each DST change, and the half- and quarter-hour zones.
for (let ms = Date.UTC(2024, 0, 1); ms < Date.UTC(2028, 0, 1); ms += 53 * 60_000 + 7_000) moments.push(ms);
moments.push(0, -1, -60_001, Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2038, 0, 19, 3, 14, 8));
const wrong: Array<{ ms: number; intl: string; libc: string; dates: string }> = [];
for (const ms of moments) {
  const want = `${intl.weekday(ms)} ${intl.time(ms)}`;
  const a = `${libc.weekday(ms)} ${libc.time(ms)}`;
  const b = `${dates.weekday(ms)} ${dates.time(ms)}`;
  if (a !== want || b !== want) wrong.push({ ms, intl: want, libc: a, dates: b });
}
const unheld = [Number.NaN, Number.POSITIVE_INFINITY, 9e15, -9e15].map((ms) => [
  libc.time(ms),
  libc.weekday(ms),
]);
console.log(
  JSON.stringify({
    checked: moments.length,
    wrong: wrong.slice(0, 5),
    unheld,
    usesLibc: machineLocalTime() !== dateLocalTime,
  }),
);
