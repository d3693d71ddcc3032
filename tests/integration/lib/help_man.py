#!/usr/bin/env python3
"""Are `fleetop CMD --help` and man/fleetop.1 about the same options?

  help_man.py --man man/fleetop.1 --bin FLEETOP
      For every command `fleetop --help` lists: every option its --help (and
      its subcommands' --help) names is in the man page's section for it, and
      every option that section documents is in `fleetop CMD --help` itself
      (where a user looks first; a subcommand's own --help may say more).
      Prints one line a difference; exit 0 when there is none, 1 when there
      are differences, 2 when a --help fails or the man page cannot be read.
  help_man.py --self-test
      Checks the parsers and the comparison on small texts made to agree and
      to disagree; exit 0 when it finds what it must.

A command's man section is its entry under COMMANDS (".TP" then ".B CMD" at
the top level, up to the next such entry), plus the options .SH OPTIONS
says it takes ("The commands that ... (hosts, check, ...) also take:") and,
for the console, ".SS Console options". Subcommands are the words
"CMD WORD" of the section whose `fleetop CMD WORD --help` prints
"usage: ... fleetop CMD WORD". An option is a token like -x or --long-name
not preceded by a letter, digit or dash; --help itself is left out (every
command takes it, the man page says so once).
"""
import re
import subprocess
import sys

OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)")
# What a section says of other programs' options, not fleetop's.
FOREIGN = {("check", "-m")}  # "like ansible -m ping"


def roff_text(line):
    """A roff line as plain text: escapes and font changes gone."""
    line = re.sub(r"\\f[BIRP]", "", line)
    line = re.sub(r"\\\(..", " ", line)
    line = line.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")
    return line


def man_sections(man, commands):
    """{command: text of its man section} and the lists .SH OPTIONS gives."""
    lines = [l for l in man.splitlines() if not l.startswith('.\\"')]
    sections, common, common_for, console_opts = {}, "", [], ""
    where, cur, depth, sh = None, None, 0, None
    for i, line in enumerate(lines):
        if line.startswith(".SH "):
            sh, cur, depth = line[4:].strip().strip('"'), None, 0
            where = None
            continue
        if line.startswith(".SS "):
            where = "console" if line[4:].strip() == "Console options" else None
            if sh != "COMMANDS":
                cur = None
            continue
        if sh == "COMMANDS":
            if line.startswith(".RS"):
                depth += 1
            elif line.startswith(".RE"):
                depth -= 1
            elif line == ".TP" and depth == 0 and i + 1 < len(lines):
                m = re.match(r"\.B (\S+)$", lines[i + 1])
                if m and m.group(1) in commands:
                    cur = m.group(1)
                    sections[cur] = ""
                    continue
            if cur:
                sections[cur] += roff_text(line) + "\n"
        elif sh == "OPTIONS":
            text = roff_text(line)
            m = re.search(r"\(([a-z, ]+)\) also take", text)
            if m:
                common_for = [c.strip() for c in m.group(1).split(",")]
            else:
                common += text + "\n"
        elif where == "console":
            console_opts += roff_text(line) + "\n"
    return sections, common, common_for, console_opts


def options(text):
    return {o for o in OPTION.findall(text) if o not in ("-h", "--help")}


def man_options(cmd, sections, common, common_for, console_opts):
    opts = options(sections.get(cmd, ""))
    if cmd in common_for:
        opts |= options(common)
    if cmd == "console":
        opts |= options(console_opts)
    return {o for o in opts if (cmd, o) not in FOREIGN}


def compare(cmd, helped, documented, top=None):
    """Lines naming what one side has and the other lacks: helped is what
    every --help of cmd names, top what `fleetop CMD --help` alone names
    (default: the same)."""
    out = []
    for o in sorted(helped - documented):
        out.append("%s: %s is in 'fleetop %s --help' but not in its man section" % (cmd, o, cmd))
    for o in sorted(documented - (helped if top is None else top)):
        out.append("%s: %s is in its man section but not in 'fleetop %s --help'" % (cmd, o, cmd))
    return out


def run_help(binary, args):
    p = subprocess.run([binary] + args + ["--help"], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def listed_commands(top_help):
    block = top_help.split("commands:", 1)[1] if "commands:" in top_help else ""
    return [m.group(1) for m in re.finditer(r"^  ([a-z]+)\s", block, re.M)]


def check_binary(man_path, binary):
    try:
        man = open(man_path).read()
    except OSError as e:
        print("cannot read %s: %s" % (man_path, e))
        return 2
    rc, top, err = run_help(binary, [])
    if rc != 0:
        print("fleetop --help: exit %d: %s" % (rc, err.strip()))
        return 2
    commands = listed_commands(top)
    if len(commands) < 5:
        print("fleetop --help lists %d commands: %r" % (len(commands), commands))
        return 2
    sections, common, common_for, console_opts = man_sections(man, commands)
    diffs, status = [], 0
    for cmd in commands:
        if cmd not in sections:
            diffs.append("%s: no entry under COMMANDS in %s" % (cmd, man_path))
            continue
        rc, text, err = run_help(binary, [cmd])
        if rc != 0:
            print("fleetop %s --help: exit %d: %s" % (cmd, rc, err.strip()))
            status = 2
            continue
        top = options(text)
        helped = set(top)  # a copy: the subcommands add to it, not to top
        subs = sorted(set(re.findall(r"\b%s ([a-z]+)\b" % cmd, sections[cmd])))
        for sub in subs:
            rc, sub_text, err = run_help(binary, [cmd, sub])
            if rc == 0 and re.search(r"fleetop %s %s\b" % (cmd, sub), sub_text):
                helped |= options(sub_text)
        documented = man_options(cmd, sections, common, common_for, console_opts)
        found = compare(cmd, helped, documented, top)
        print("%-8s %2d options in --help, %2d in the man page%s" %
              (cmd, len(helped), len(documented), ", differ" if found else ""))
        diffs += found
    for d in diffs:
        print(d)
    return status or (1 if diffs else 0)


MAN = r""".TH T 1
.SH COMMANDS
.TP
.B alpha
Does it with
.BI \-\-depth " N"
and
.BR \-q .
.RS
.TP
.BI "alpha sub " X " \fR[\fB\-m \fITEXT\fR]"
A sub.
.RE
.TP
.B beta
Like
.B "ansible \-m ping" ;
high\-contrast, mc\-eu\-03, kill \-9.
.SH OPTIONS
The host commands (alpha, beta) also take:
.TP
.BI \-c ", " \-\-config " FILE"
.SH THE CONSOLE
.SS Console options
.TP
.BI \-t ", " \-\-theme " NAME"
"""


def self_test():
    fails = []

    def expect(what, got, want):
        if got != want:
            fails.append("%s: got %r, want %r" % (what, got, want))

    expect("roff", roff_text(r".BI \-\-time\-scale \fIX\fR"), ".BI --time-scale X")
    expect("options", options("  -c, --config FILE  --accept-new x-y mc-eu-3 -9 --help -h"),
           {"-c", "--config", "--accept-new"})
    expect("commands", listed_commands("usage\n\ncommands:\n  alpha  a\n  beta   b\n\n'x'\n"),
           ["alpha", "beta"])
    sections, common, common_for, console_opts = man_sections(MAN, ["alpha", "beta"])
    expect("sections", sorted(sections), ["alpha", "beta"])
    expect("common for", common_for, ["alpha", "beta"])
    global FOREIGN
    saved, FOREIGN = FOREIGN, {("beta", "-m")}
    try:
        alpha = man_options("alpha", sections, common, common_for, console_opts)
        beta = man_options("beta", sections, common, common_for, console_opts)
    finally:
        FOREIGN = saved
    expect("alpha's man options", alpha, {"--depth", "-q", "-m", "-c", "--config"})
    expect("beta's man options (foreign -m left out)", beta, {"-c", "--config"})
    expect("console options", options(console_opts), {"-t", "--theme"})
    expect("the subcommand is found", re.findall(r"\balpha ([a-z]+)\b", sections["alpha"]), ["sub"])
    # Agreeing texts: no difference; each kind of disagreement: named.
    expect("agree", compare("alpha", {"--depth", "-q", "-m", "-c", "--config"}, alpha), [])
    expect("help lacks one", compare("alpha", {"--depth", "-m", "-c", "--config"}, alpha),
           ["alpha: -q is in its man section but not in 'fleetop alpha --help'"])
    expect("man lacks one", compare("beta", {"-c", "--config", "--json"}, beta),
           ["beta: --json is in 'fleetop beta --help' but not in its man section"])
    expect("a subcommand's option missing from the command's own help",
           compare("alpha", {"--depth", "-q", "-m", "-c", "--config"}, alpha,
                   {"--depth", "-q", "-c", "--config"}),
           ["alpha: -m is in its man section but not in 'fleetop alpha --help'"])
    expect("a section ends at the next command", "--depth" in sections["beta"], False)
    for f in fails:
        print("self-test FAIL:", f)
    print("self-test: %s" % ("ok" if not fails else "%d failed" % len(fails)))
    return 1 if fails else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) == 5 and argv[1] == "--man" and argv[3] == "--bin":
        return check_binary(argv[2], argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
