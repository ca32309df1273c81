import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ArgsDef, GLOBAL_ARGS, defineCommand } from "../../src/command.ts";
import { COMMANDS, loadCommand } from "../../src/commands/registry.ts";
import { SHELLS, completionScript, renderCompletion } from "../../src/completion/index.ts";
import { describeCommand, loadCompletionSpec } from "../../src/completion/spec.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";

interface Visible {
  name: string;
  flags: string[];
  hiddenFlags: string[];
}

/** Straight from the registry, independently of src/completion: what the scripts must cover. */
async function visibleCommands(): Promise<{ visible: Visible[]; hidden: string[] }> {
  const visible: Visible[] = [];
  const hidden: string[] = [];
  for (const name of Object.keys(COMMANDS)) {
    const cmd = await loadCommand(name);
    if (!cmd) throw new Error(`registry entry ${name} does not load`);
    if (cmd.meta.hidden) {
      hidden.push(name);
      continue;
    }
    const flags: string[] = [];
    const hiddenFlags: string[] = [];
    if (name !== "run") {
      for (const [key, def] of Object.entries({ ...cmd.args, ...GLOBAL_ARGS } as ArgsDef)) {
        if (def.type === "positional") continue;
        const target = (def as { hidden?: boolean }).hidden ? hiddenFlags : flags;
        target.push(`--${key}`);
        const alias = "alias" in def ? def.alias : undefined;
        for (const a of alias === undefined ? [] : Array.isArray(alias) ? alias : [alias]) {
          target.push(a.length === 1 ? `-${a}` : `--${a}`);
        }
      }
    }
    visible.push({ name, flags, hiddenFlags });
  }
  return { visible, hidden };
}

describe("completion scripts cover the command definitions", () => {
  test("every visible command and every flag (with aliases) is in every shell's script", async () => {
    const { visible, hidden } = await visibleCommands();
    expect(visible.map((v) => v.name)).toContain("select");
    expect(hidden).toEqual(["daemon"]);
    for (const shell of SHELLS) {
      const script = await completionScript(shell);
      const commandEntry = (name: string) =>
        shell === "bash"
          ? new RegExp(`^_ccp_commands='([^']* )?${name}( [^']*)?'$`, "m")
          : shell === "zsh"
            ? new RegExp(`^    '${name}:`, "m")
            : new RegExp(`-n __ccp_needs_command -a ${name} `);
      for (const cmd of visible) {
        expect({ shell, command: cmd.name, listed: commandEntry(cmd.name).test(script) }).toEqual({
          shell,
          command: cmd.name,
          listed: true,
        });
        for (const flag of cmd.flags) {
          // fish spells flags as `-l name` / `-s y`; the others write them out.
          const spelled =
            shell === "fish" ? (flag.startsWith("--") ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`) : flag;
          expect({ shell, command: cmd.name, flag, found: script.includes(spelled) }).toEqual({
            shell,
            command: cmd.name,
            flag,
            found: true,
          });
        }
      }
      for (const name of hidden) expect(commandEntry(name).test(script)).toBe(false);
    }
  });

  test("hidden flags (the helpers the scripts and widgets call) are left out", async () => {
    const { visible } = await visibleCommands();
    const hiddenFlags = visible.flatMap((v) => v.hiddenFlags);
    expect(hiddenFlags).toContain("--accounts");
    expect(hiddenFlags).toContain("--render");
    const spec = await loadCompletionSpec();
    const allFlags = spec.commands.flatMap((c) => c.flags.map((f) => f.name));
    expect(allFlags).not.toContain("accounts");
    expect(allFlags).not.toContain("render");
    // The hidden helper is called by the scripts, never offered as a flag.
    expect(await completionScript("bash")).not.toMatch(/'[^']*--render/);
    expect(await completionScript("fish")).not.toContain("-l render");
  });

  test("a flag added to a command's args shows up without touching src/completion", async () => {
    const cmd = defineCommand({
      meta: { name: "brandnew", description: "A command added later" },
      args: {
        "shiny-flag": { type: "boolean", alias: "s", description: "Something new" },
        colour: { type: "enum", options: ["red", "blue"], description: "Pick one" },
        account: { type: "string", description: "Account id or name" },
        secret: { type: "boolean", description: "Internal", hidden: true },
        mode: { type: "positional", description: "Mode", options: ["fast", "slow"] },
      } as ArgsDef,
      run: () => 0,
    });
    const base = await loadCompletionSpec();
    const spec = { ...base, commands: [...base.commands, describeCommand(cmd)] };
    const bash = renderCompletion("bash", spec);
    expect(bash).toContain("brandnew");
    expect(bash).toContain("--shiny-flag");
    expect(bash).toContain("'brandnew --colour') printf '%s' 'red blue'");
    expect(bash).toContain("'brandnew --account') printf '%s' '@accounts'");
    expect(bash).not.toContain("--secret");
    expect(bash).toContain("'brandnew 1') printf '%s' 'fast slow'");
    const zsh = renderCompletion("zsh", spec);
    expect(zsh).toContain("(--shiny-flag -s)--shiny-flag[Something new]");
    expect(zsh).toContain("--colour=[Pick one]:colour:(red blue)");
    expect(zsh).toContain("--account=[Account id or name]:account:_ccp_accounts");
    const fish = renderCompletion("fish", spec);
    expect(fish).toContain("-n '__ccp_is brandnew' -l shiny-flag -s s -d 'Something new'");
    expect(fish).toContain("-l colour -x -a 'red blue'");
    // The same spec without the command has none of it.
    expect(renderCompletion("bash", base)).not.toContain("shiny-flag");
  });
});

describe("ccp completion", () => {
  test("prints each shell's script; a missing or unknown shell is a usage error", async () => {
    for (const shell of SHELLS) {
      const r = await runCli(["completion", shell]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(await completionScript(shell));
    }
    const missing = await runCli(["completion"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("zsh, bash, fish");
    const unknown = await runCli(["completion", "tcsh"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
  });

  test("--accounts prints nothing, quietly, when there is no pool, and creates none", async () => {
    const home = tempDir("nopool-");
    const ccpHome = join(home, ".cc-pool");
    const r = await runCli(["completion", "--accounts"], { env: { HOME: home, CCP_HOME: ccpHome } });
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(existsSync(ccpHome)).toBe(false);
  });

  test("--accounts prints nothing when the database is unreadable", async () => {
    const ccpHome = join(tempDir("badpool-"), ".cc-pool");
    mkdirSync(ccpHome, { recursive: true });
    writeFileSync(join(ccpHome, "pool.db"), "this is not a database, it is long enough to be checked");
    const r = await runCli(["completion", "--accounts"], { env: { CCP_HOME: ccpHome } });
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
  });
});

describe("in real shells", () => {
  let pool: TestPool;
  let binDir: string;
  let scripts: string;

  beforeAll(async () => {
    pool = await makePool(undefined, [{ name: "work" }, { name: "personal" }]);
    const { ccpBinDir } = await import("./shells.ts");
    binDir = ccpBinDir();
    scripts = tempDir("scripts-");
    mkdirSync(join(scripts, "fpath"));
    writeFileSync(join(scripts, "ccp.bash"), await completionScript("bash"));
    writeFileSync(join(scripts, "fpath", "_ccp"), await completionScript("zsh"));
    writeFileSync(join(scripts, "ccp.fish"), await completionScript("fish"));
  });

  test("--accounts lists the pool as id<TAB>name", async () => {
    const r = await runCli(["completion", "--accounts"], { env: pool.vars });
    expect(r).toEqual({ code: 0, stdout: "1\twork\n2\tpersonal\n", stderr: "" });
  });

  test("bash: subcommands, flags, values, accounts; hidden commands never", async () => {
    const { bashDriver, runShell, sections, shellEnv } = await import("./shells.ts");
    const lines = [
      "ccp sel",
      "ccp ",
      "ccp select --wa",
      "ccp status -",
      "ccp service ",
      "ccp completion f",
      "ccp help ren",
      "ccp remove ",
      "ccp login ",
      "ccp remove --f",
      "ccp rename w",
      "ccp select --account p",
      "ccp select --account = ",
      "ccp env --account ",
      "ccp rename work ",
      "ccp da",
      "cc-pool sel",
    ];
    const r = await runShell(
      "bash",
      ["--norc", "--noprofile", "-c", bashDriver(join(scripts, "ccp.bash"), lines)],
      shellEnv(binDir, pool.vars),
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const got = sections(r.stdout);
    expect(got.get("ccp sel")).toEqual(["select"]);
    expect(got.get("ccp ")).toContain("widget");
    expect(got.get("ccp ")).toContain("completion");
    expect(got.get("ccp ")).not.toContain("daemon");
    expect(got.get("ccp select --wa")).toEqual(["--wait"]);
    expect(got.get("ccp status -")).toEqual(
      expect.arrayContaining(["--plain", "--watch", "-w", "--json", "--verbose"]),
    );
    expect(got.get("ccp service ")).toEqual(["install", "uninstall", "status"]);
    expect(got.get("ccp completion f")).toEqual(["fish"]);
    expect(got.get("ccp help ren")).toEqual(["rename"]);
    expect(got.get("ccp remove ")).toEqual(["1", "work", "2", "personal"]);
    expect(got.get("ccp login ")).toEqual(["1", "work", "2", "personal"]);
    expect(got.get("ccp remove --f")).toEqual(["--force"]);
    expect(got.get("ccp rename w")).toEqual(["work"]);
    expect(got.get("ccp select --account p")).toEqual(["personal"]);
    expect(got.get("ccp select --account = ")).toEqual(["1", "work", "2", "personal"]);
    expect(got.get("ccp env --account ")).toEqual(["1", "work", "2", "personal"]);
    // rename's second positional is a new name: nothing to offer.
    expect(got.get("ccp rename work ")).toEqual([]);
    expect(got.get("ccp da")).toEqual([]);
    expect(got.get("cc-pool sel")).toEqual(["select"]);
  });

  test("bash: without a pool, account completion is empty and silent", async () => {
    const { bashDriver, runShell, sections, shellEnv } = await import("./shells.ts");
    const home = tempDir("nopool-");
    const env = shellEnv(binDir, { HOME: home, CCP_HOME: join(home, ".cc-pool") });
    const r = await runShell(
      "bash",
      ["--norc", "-c", bashDriver(join(scripts, "ccp.bash"), ["ccp remove "])],
      env,
    );
    expect(r.stderr).toBe("");
    expect(sections(r.stdout).get("ccp remove ")).toEqual([]);
  });

  test("zsh: the script autoloads from $fpath and completes in an interactive shell", async () => {
    if (!Bun.which("zsh")) {
      console.log("skipped: zsh is not installed (scripts/test-deps.sh installs it)");
      return;
    }
    const { runShell, shellEnv, zshDriver } = await import("./shells.ts");
    const driver = join(scripts, "drive.zsh");
    writeFileSync(
      driver,
      zshDriver(join(scripts, "fpath"), join(scripts, "zcompdump"), binDir, [
        { name: "subcommand", line: "ccp sel", expect: "ccp select" },
        { name: "flag", line: "ccp select --wa", expect: "--wait" },
        { name: "alias", line: "ccp status --wat", expect: "--watch" },
        { name: "action", line: "ccp service un", expect: "uninstall" },
        { name: "account", line: "ccp remove w", expect: "ccp remove work" },
        { name: "account-flag", line: "ccp select --account pe", expect: "--account personal" },
        { name: "cc-pool", line: "cc-pool sel", expect: "cc-pool select" },
        { name: "hidden", line: "ccp da", expect: "\u0007" },
      ]),
    );
    const r = await runShell("zsh", ["-f", driver], shellEnv(binDir, pool.vars));
    const results = r.stdout.split("\n").filter((l) => /^(PASS|FAIL) /.test(l));
    expect(results.filter((l) => l.startsWith("FAIL"))).toEqual([]);
    expect(results.map((l) => l.split(" ")[1])).toEqual([
      "subcommand",
      "flag",
      "alias",
      "action",
      "account",
      "account-flag",
      "cc-pool",
      "hidden",
    ]);
    expect(results.find((l) => l.startsWith("PASS hidden"))).not.toContain("daemon");
  });

  test("zsh: `source <(ccp completion zsh)` after compinit registers ccp and cc-pool", async () => {
    if (!Bun.which("zsh")) {
      console.log("skipped: zsh is not installed (scripts/test-deps.sh installs it)");
      return;
    }
    const { runShell, shellEnv } = await import("./shells.ts");
    const script = `autoload -U compinit; compinit -u -d ${join(scripts, "zcompdump2")}
source <(ccp completion zsh) || exit 1
print -r -- "ccp=$_comps[ccp] cc-pool=$_comps[cc-pool] fn=\${+functions[_ccp_accounts]}"`;
    const r = await runShell("zsh", ["-f", "-c", script], shellEnv(binDir, pool.vars));
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("ccp=_ccp cc-pool=_ccp fn=1");
  });

  test("fish: completes subcommands, flags, actions and accounts", async () => {
    if (!Bun.which("fish")) {
      console.log("skipped: fish is not installed (scripts/test-deps.sh installs it)");
      return;
    }
    const { runShell, sections, shellEnv } = await import("./shells.ts");
    const lines = [
      "ccp sel",
      "ccp select --wa",
      "ccp status -",
      "ccp service ",
      "ccp remove ",
      "ccp select --account ",
      "ccp rename work ",
      "ccp da",
      "cc-pool sel",
    ];
    const body = lines.map((l) => `echo '== ${l}'; complete -C '${l}'`).join("\n");
    const r = await runShell(
      "fish",
      ["--no-config", "-c", `source '${join(scripts, "ccp.fish")}'\n${body}`],
      shellEnv(binDir, pool.vars),
    );
    expect(r.stderr).toBe("");
    const got = sections(r.stdout);
    const words = (line: string) => (got.get(line) ?? []).map((c) => c.split("\t")[0]);
    expect(words("ccp sel")).toEqual(["select"]);
    expect(words("ccp select --wa")).toEqual(["--wait"]);
    expect(words("ccp status -")).toEqual(expect.arrayContaining(["--plain", "--watch", "-w", "--json"]));
    expect(words("ccp service ").sort()).toEqual(["install", "status", "uninstall"]);
    expect(words("ccp remove ").sort()).toEqual(["1", "2", "personal", "work"]);
    expect(got.get("ccp remove ")).toContain("1\twork");
    expect(words("ccp select --account ").sort()).toEqual(["1", "2", "personal", "work"]);
    expect(words("ccp rename work ")).toEqual([]);
    expect(words("ccp da")).toEqual([]);
    expect(words("cc-pool sel")).toEqual(["select"]);
  });
});
