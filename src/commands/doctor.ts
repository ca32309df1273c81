import { defineCommand } from "../command.ts";
import type { DoctorReport, Finding } from "../app/doctor.ts";
import { env } from "../env.ts";
import { colors } from "../ui/color.ts";
import { safeText } from "../ui/safe-text.ts";
import { writeOut } from "../ui/output.ts";

function label(f: Finding): string {
  return f.account ? `account ${f.account.id} (${safeText(f.account.name)}) · ${f.check}` : f.check;
}

/** The report for people: one line per finding, the repair under each problem, a verdict. */
function renderReport(report: DoctorReport, fixRequested: boolean): string[] {
  const c = colors(1);
  const mark: Record<Finding["status"], string> = {
    ok: c.green("✓"),
    fixed: c.green("✓"),
    info: c.dim("·"),
    problem: c.red("✖"),
  };
  const lines: string[] = [];
  for (const f of report.findings) {
    const prefix = f.status === "fixed" ? "fixed: " : "";
    lines.push(`${mark[f.status]} ${c.bold(label(f))}: ${prefix}${safeText(f.message)}`);
    for (const change of f.changed) lines.push(`    changed: ${safeText(change)}`);
    if (f.fix && (f.status === "problem" || f.status === "info"))
      lines.push(`    ${c.dim(`fix: ${safeText(f.fix)}`)}`);
  }
  lines.push("");
  const fixable = report.findings.filter((f) => f.status === "problem" && f.fixable).length;
  if (report.fixed > 0) lines.push(`Repaired ${report.fixed} problem${report.fixed === 1 ? "" : "s"}.`);
  if (report.problems === 0 && report.accounts === 0) {
    lines.push("No problems found, but the pool is empty: run `ccp add` to add your first subscription.");
  } else if (report.problems === 0) {
    lines.push("No problems left.");
  } else {
    const canFix = !fixRequested && fixable > 0 ? ` \`ccp doctor --fix\` can repair ${fixable} of them.` : "";
    lines.push(
      `${report.problems} problem${report.problems === 1 ? "" : "s"} ${fixRequested ? "left" : "found"}.${canFix}`,
    );
  }
  return lines;
}

export default defineCommand({
  meta: {
    name: "doctor",
    description: "Check accounts, credentials, overlays, the alias and the daemon; repair drift",
  },
  args: {
    fix: { type: "boolean", description: "Repair what can be repaired safely" },
    json: { type: "boolean", description: "Print the findings as JSON" },
  },
  async run({ args }) {
    const { runDoctor } = await import("../app/doctor.ts");
    const fix = Boolean(args.fix);
    const report = await runDoctor(env(), { fix });
    const out = args.json ? JSON.stringify(report, null, 2) : renderReport(report, fix).join("\n");
    writeOut(`${out}\n`);
    return report.ok ? 0 : 1;
  },
});
