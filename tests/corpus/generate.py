#!/usr/bin/env python3
"""Write the broken-manifest corpus: every file here must make berth print an `error:` with a
`--> file:line:col` and exit non-zero, without panicking or hanging.

Each file's first line may be `# berth: ARGS` naming the berth command to run on it (default:
`task list`). Run this script to regenerate the corpus after changing it; the files are
committed so the test needs nothing but the binary. Huge and deeply nested inputs are made by
the test itself rather than committed.
"""
import os
import shutil
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "manifests")
HEAD = '[workspace]\nname = "corpus"\nchannels = []\nplatforms = []\n\n'

files = {}


def add(name, body, command="task list", head=True, raw=None):
    if raw is not None:
        files[name] = raw
        return
    text = f"# berth: {command}\n" + (HEAD if head else "") + body
    files[name] = text.encode()


# Wrong types for every task field, in table and inline forms.
WRONG = {
    "cmd": ["1", "true", "1.5", "{ a = 1 }", "[1, 2]", "2024-01-01"],
    "depends-on": ["1", "{ task = \"x\" }", "[1]", "[{ name = \"x\" }]", "[{ task = 1 }]",
                   "[{ task = \"x\", args = \"a\" }]", "[{ task = \"x\", environment = 1 }]",
                   "[{ task = \"x\", args = [{ a = \"1\", b = \"2\" }] }]", "true"],
    "cwd": ["1", "true", "[\"a\"]", "{ a = 1 }"],
    "env": ["\"A=1\"", "1", "[\"A\"]", "{ A = 1 }", "{ A = true }", "{ A = [\"x\"] }"],
    "description": ["1", "true", "[\"x\"]", "{ a = 1 }"],
    "args": ["\"x\"", "1", "[1]", "[{ arg = 1 }]", "[{ default = \"x\" }]", "[{ arg = \"a\", default = 1 }]",
             "[{ arg = \"a\", choices = \"x\" }]", "[\"bad-name\"]", "[\"a b\"]", "[{ arg = \"a\", default = \"x\" }, \"b\"]",
             "[{ arg = \"a\", default = \"z\", choices = [\"x\", \"y\"] }]", "[{ arg = \"a\", extra = 1 }]"],
    "inputs": ["\"src\"", "1", "[1]", "{ a = 1 }"],
    "outputs": ["\"out\"", "1", "[true]", "{ a = 1 }"],
    "clean-env": ["\"yes\"", "1", "[true]"],
    "default-environment": ["1", "true", "[\"x\"]"],
}
for field, values in WRONG.items():
    for i, value in enumerate(values):
        add(f"task-{field}-wrong-type-{i}.toml", f"[tasks]\nt = {{ cmd = \"echo\", {field} = {value} }}\n")
        add(f"task-{field}-wrong-type-{i}-table.toml", f"[tasks.t]\ncmd = \"echo\"\n{field} = {value}\n")

# Wrong task shapes.
for i, value in enumerate(["1", "true", "[\"a\", \"b\"]", "[1]", "2.5", "[[\"a\"]]", "[{ nottask = \"x\" }]"]):
    add(f"task-shape-{i}.toml", f"[tasks]\nt = {value}\n")
add("tasks-not-a-table.toml", "tasks = 1\n" + HEAD, head=False)
add("tasks-array.toml", "tasks = [\"a\"]\n" + HEAD, head=False)
add("feature-tasks-not-a-table.toml", "[feature.f]\ntasks = \"x\"\n\n[environments]\nf = [\"f\"]\n")
add("target-tasks-not-a-table.toml", "[target.linux]\ntasks = 3\n")
add("environments-wrong.toml", "[environments]\ne = 1\n")
add("environments-unknown-feature.toml", "[environments]\ne = [\"nope\"]\n")

# Unknown keys.
for i, key in enumerate(["depends", "command", "dependencies", "desc", "working-dir", "environment", "input", "clean_env"]):
    add(f"task-unknown-key-{i}.toml", f"[tasks]\nt = {{ cmd = \"echo\", {key} = \"x\" }}\n")
    add(f"alias-unknown-key-{i}.toml", f"[tasks]\nt = {{ depends-on = [\"u\"], {key} = \"x\" }}\nu = \"echo\"\n")

# Every [tool.berth] key with a wrong type or value, and unknown keys.
BERTH = {
    "runtime": ["1", "\"vmware\"", "true", "[\"lima\"]"],
    "instance": ["1", "\"-bad\"", "\"has space\"", "\"" + "x" * 80 + "\""],
    "cpus": ["\"two\"", "0", "-1", "1.5", "100000"],
    "memory": ["\"lots\"", "true", "\"4 parsecs\"", "[4]"],
    "disk": ["\"big\"", "false", "\"-1GiB\"", "{ a = 1 }"],
    "vm-type": ["1", "\"hyperv\""],
    "arch": ["1", "\"sparc\""],
    "mounts": ["\"~/src\"", "[1]", "[{ writable = true }]", "[{ location = \"/x\", writable = \"yes\" }]"],
    "respect-docker-host": ["\"yes\"", "1"],
    "auto-start": ["\"no\"", "0"],
    "native-fallback": ["\"off\"", "[]"],
    "start-timeout": ["\"forever\"", "\"1d\"", "0", "true"],
}
for key, values in BERTH.items():
    # An instance name Lima refuses matters to the runtimes that name a VM after it, which
    # refuse it before anything else; the host's Docker engine has no use for it.
    command = "--runtime lima container status" if key == "instance" else "container status"
    for i, value in enumerate(values):
        add(f"berth-{key}-{i}.toml", f"[tool.berth]\n{key} = {value}\n", command=command)
for i, key in enumerate(["cpu", "mem", "runtimes", "vmtype", "socket"]):
    add(f"berth-unknown-key-{i}.toml", f"[tool.berth]\n{key} = 1\n", command="container status")
add("berth-not-a-table.toml", "[tool]\nberth = 1\n", command="container status")

# TOML syntax: truncated files, duplicate keys, bad values.
FULL = HEAD + '[tasks]\nbuild = { cmd = "cargo build", description = "Build it" }\ntest = { cmd = "cargo test", depends-on = ["build"] }\n'
cuts = [i for i, c in enumerate(FULL) if c in '"{[=' and i > 10]
def is_valid_toml(text):
    try:
        tomllib.loads(text)
        return True
    except tomllib.TOMLDecodeError:
        return False


# Only cuts that leave broken TOML: a cut after a closing quote can leave a valid document.
broken_cuts = [cut for cut in cuts if not is_valid_toml(FULL[: cut + 1])]
for n, cut in enumerate(broken_cuts[:24]):
    add(f"truncated-{n}.toml", FULL[: cut + 1], head=False)
add("duplicate-task.toml", "[tasks]\na = \"echo 1\"\na = \"echo 2\"\n")
add("duplicate-table.toml", "[tasks]\na = \"x\"\n\n[tasks]\nb = \"y\"\n")
add("duplicate-inline-key.toml", "[tasks]\na = { cmd = \"x\", cmd = \"y\" }\n")
add("duplicate-workspace.toml", "[workspace]\nname = \"a\"\n", head=True)
add("bad-string.toml", "[tasks]\na = \"unterminated\n")
add("bad-escape.toml", "[tasks]\na = \"bad \\q escape\"\n")
add("bad-key.toml", "[tasks]\na b = \"x\"\n")
add("bad-table-header.toml", "[tasks\na = \"x\"\n")
add("bad-number.toml", "[tool.berth]\ncpus = 0x\n", command="container status")
add("bad-date.toml", "[tasks]\na = 2024-13-45\n")
add("garbage.toml", "this is not toml at all\n")
add("only-equals.toml", "=\n")
add("crlf-error.toml", "[tasks]\r\na = \"ok\"\r\nb = \r\n")
add("crlf-unknown-key.toml", "[tasks]\r\nt = { cmd = \"echo\", bogus = 1 }\r\n")
add("bom-error.toml", None, raw=b"\xef\xbb\xbf# berth: task list\n" + HEAD.encode() + b"[tasks]\nt = { cmd = 1 }\n")
add("bom-syntax.toml", None, raw=b"\xef\xbb\xbf# berth: task list\n" + HEAD.encode() + b"[tasks\n")
add("invalid-utf8.toml", None, raw=b"# berth: task list\n" + HEAD.encode() + b"[tasks]\na = \"caf\xe9\"\n")
add("invalid-utf8-key.toml", None, raw=b"# berth: task list\n" + HEAD.encode() + b"[tasks]\n\xff\xfe = \"x\"\n")
add("nul-byte.toml", None, raw=b"# berth: task list\n" + HEAD.encode() + b"[tasks]\na = \"x\x00\"\n")

# Run-time errors: templates, dependencies, cycles, arguments, cwd.
for i, cmd in enumerate(["echo {{ undefined }}", "echo {{ foo", "echo {% if %}", "echo {{ a-b }}",
                         "docker ps --format '{{.Names}}'", "echo {{ pixi.nope.deeper }}", "echo {% for x in %}{% endfor %}",
                         "echo {{ 1 + }}"]):
    add(f"template-error-{i}.toml", f"[tasks]\nt = {cmd!r}\n".replace("'", '"', 2) if "'" not in cmd else f"[tasks]\nt = \"{cmd}\"\n", command="run t")
add("template-error-env.toml", "[tasks]\nt = { cmd = \"echo\", env = { A = \"{{ nope }}\" } }\n", command="run t")
add("template-error-input.toml", "[tasks]\nt = { cmd = \"echo\", inputs = [\"{{ nope }}\"] }\n", command="run t")
add("template-error-dep-arg.toml", "[tasks]\nt = { depends-on = [{ task = \"u\", args = [\"{{ nope }}\"] }] }\nu = { cmd = \"echo {{ x }}\", args = [\"x\"] }\n", command="run t")
add("missing-dependency.toml", "[tasks]\nt = { cmd = \"echo\", depends-on = [\"nope\"] }\n", command="run t")
add("missing-dependency-alias.toml", "[tasks]\nt = [{ task = \"nope\" }]\n", command="run t")
add("cycle-1.toml", "[tasks]\na = { cmd = \"echo a\", depends-on = [\"a\"] }\n", command="run a")
add("cycle-2.toml", "[tasks]\na = { cmd = \"echo a\", depends-on = [\"b\"] }\nb = { cmd = \"echo b\", depends-on = [\"a\"] }\n", command="run a")
add("cycle-3-alias.toml", "[tasks]\na = [{ task = \"b\" }]\nb = { depends-on = [\"c\"] }\nc = { cmd = \"echo\", depends-on = [\"a\"] }\n", command="run a")
chain = "".join(f"t{i} = {{ cmd = \"echo {i}\", depends-on = [\"t{(i + 1) % 50}\"] }}\n" for i in range(50))
add("cycle-50.toml", "[tasks]\n" + chain, command="run t0")
deps = ", ".join(f'"d{i}"' for i in range(1000))
add("depends-on-1000-missing.toml", f"[tasks]\nt = {{ cmd = \"echo\", depends-on = [{deps}] }}\n", command="run t")
add("args-too-many.toml", "[tasks]\nt = { cmd = \"echo {{ a }}\", args = [\"a\"] }\n", command="run t 1 2")
add("args-missing.toml", "[tasks]\nt = { cmd = \"echo {{ a }}\", args = [\"a\"] }\n", command="run t")
add("args-bad-choice.toml", "[tasks]\nt = { cmd = \"echo {{ a }}\", args = [{ arg = \"a\", choices = [\"x\", \"y\"] }] }\n", command="run t z")
add("cwd-missing.toml", "[tasks]\nt = { cmd = \"echo\", cwd = \"no/such/dir\" }\n", command="run t")
# A word that is no task runs as a command (pixi's rule); one that is a task only elsewhere
# is an error.
add("task-of-another-platform.toml", HEAD.replace("platforms = []", "platforms = [\"linux-64\", \"win-64\"]")
    + "[target.win-64.tasks]\nbuild = \"echo\"\n", command="run build", head=False)
# pixi refuses a pixi.toml without [workspace], [project] or [package].
add("empty.toml", None, raw=b"")
add("table-less.toml", "[tasks]\na = \"echo\"\n", command="run a", head=False)
add("unknown-environment.toml", "[tasks]\nt = \"echo\"\n", command="run -e nope t")
add("named-dep-arg-unknown.toml", "[tasks]\nt = { depends-on = [{ task = \"u\", args = [{ nope = \"1\" }] }] }\nu = { cmd = \"echo {{ x }}\", args = [\"x\"] }\n", command="run t")
add("shell-parse-error.toml", "[tasks]\nt = \"echo 'unterminated\"\n", command="run t")
add("shell-reserved-word.toml", "[tasks]\nt = \"if true; then echo; fi\"\n", command="run t")

if os.path.isdir(OUT):
    shutil.rmtree(OUT)
os.makedirs(OUT)
for name, text in sorted(files.items()):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(text)
print(f"{len(files)} manifests in {OUT}")
