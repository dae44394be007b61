"""Issue 9, bounded cost and only the files the user meant: every file the tool reads (templates,
policies, configurations, nested stacks' TemplateURLs, paths on the command line) is a regular
file of bounded size, parsed with YAML guards, found only where the user meant, and each hostile
input gets a one-line answer.  Anything that could block or blow up runs in a subprocess with a
generous guard (a hang guard, not a timing assertion); large inputs are made in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, List, Tuple

import pytest

from ecsnetpolicy.load import deployment as D
from ecsnetpolicy.load import files as F
from ecsnetpolicy.load import template as L
from ecsnetpolicy.load.config import ConfigError, find_config, load_config
from ecsnetpolicy.load.deployment import DeploymentError, Stack, merge, unloaded_raws
from ecsnetpolicy.load.template import LoadError, check_template_file, load_file
from ecsnetpolicy.load.policy import PolicyError, load_policy, load_policy_file

GUARD = 600  # seconds: a hang guard, far above every measured figure (each answers in well under 1 s)
SUFFIXES = (".yaml", ".yml", ".json", ".template")
TOKEN = "ghp_Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LmNbVc"
TOPIC = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
# 9 levels of 9 aliases: a billion laughs in 361 bytes, used where the schema's error message
# would print it whole (jsonschema puts the instance's repr in its messages)
ALIAS_BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")
) + "schema_version: 1\noptions: *i\n"
HAS_FIFO = hasattr(os, "mkfifo")


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ECSNETPOLICY", "AWS_"))}
    env["NO_COLOR"] = "1"
    return env


def cli(args: List[str], cwd: Path) -> Tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "ecsnetpolicy", *map(str, args)], capture_output=True, text=True,
                          timeout=GUARD, cwd=str(cwd), env=_env(), errors="replace")
    return proc.returncode, proc.stdout, proc.stderr


def py(code: str, cwd: Path) -> Tuple[str, int]:
    """Run `code` in a fresh interpreter (hang guard); (its stdout, its peak RSS in MB)."""
    # VmHWM is this process's own peak (ru_maxrss would inherit the forking pytest's peak across exec)
    wrapped = code + ("\nimport re\nprint('RSS', int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) // 1024)\n")
    proc = subprocess.run([sys.executable, "-c", wrapped], capture_output=True, text=True, timeout=GUARD, cwd=str(cwd), env=_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout.strip().splitlines()
    return "\n".join(out[:-1]), int(out[-1].split()[1])


def one_line(text: str) -> str:
    assert "Traceback" not in text
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A repository (a folder holding .git) with the working directory at its root."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    monkeypatch.chdir(root)
    for var in ("ECSNETPOLICY_POLICIES", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(var, raising=False)
    return root


# ------------------------------------------------------------------------------ templates


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def test_template_over_cloudformation_limit_is_refused_in_one_line(tmp_path):
    assert L.MAX_TEMPLATE_BYTES == 1_048_576
    at_limit = tmp_path / "at_limit.yaml"
    at_limit.write_text(TOPIC + "#" * (L.MAX_TEMPLATE_BYTES - len(TOPIC) - 1) + "\n")
    assert os.path.getsize(at_limit) == L.MAX_TEMPLATE_BYTES
    assert load_file(str(at_limit))["Resources"]["Topic"]["Type"] == "AWS::SNS::Topic"
    assert check_template_file(at_limit) is None
    big = _sparse(tmp_path / "big.yaml", L.MAX_TEMPLATE_BYTES + 1)
    with pytest.raises(LoadError) as err:
        load_file(str(big))
    assert "file is larger than CloudFormation's 1 MB template limit" in str(err.value)
    assert "\n" not in str(err.value)
    assert "1 MB template limit" in check_template_file(big)


def test_check_template_file_refuses_what_is_not_a_regular_file(tmp_path):
    assert "directory" in check_template_file(tmp_path)
    assert "no such file" in check_template_file(tmp_path / "missing.yaml")
    if os.path.exists("/dev/zero"):
        assert "device" in check_template_file("/dev/zero")
    if HAS_FIFO:
        os.mkfifo(tmp_path / "fifo.yaml")
        assert "FIFO" in check_template_file(tmp_path / "fifo.yaml")


@pytest.mark.skipif(not HAS_FIFO, reason="needs FIFOs")
def test_special_files_are_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "fifo.yaml")
    code = textwrap.dedent("""
        from ecsnetpolicy.load.template import LoadError, load_file
        for p in ["fifo.yaml", "/dev/zero", "/proc/kmsg", "/proc/self/environ", "/dev/stdin"]:
            try:
                load_file(p)
                print(p, "LOADED")
            except LoadError as e:
                print(p, "REFUSED", e.problem)
        """)
    out, rss = py(code, tmp_path)
    assert "LOADED" not in out, out
    assert "fifo.yaml REFUSED is a FIFO" in out
    assert "/proc/self/environ REFUSED" in out


@pytest.mark.skipif(not HAS_FIFO, reason="needs FIFOs")
def test_a_file_swapped_for_a_fifo_after_stat_is_not_waited_on(tmp_path):
    """The stat says "regular file", the open finds a FIFO: the non-blocking open and the fstat
    of what was opened refuse it instead of waiting for a writer."""
    os.mkfifo(tmp_path / "raced.yaml")
    code = textwrap.dedent("""
        from ecsnetpolicy.load import files
        files.file_problem = lambda path: None   # what a stat just before the swap saw
        try:
            files.read_bounded("raced.yaml", 1000, "too big")
            print("READ")
        except files.FileRefused as e:
            print("REFUSED", e.reason)
        """)
    out, _rss = py(code, tmp_path)
    assert out == "REFUSED is a FIFO (named pipe), not a regular file"


def test_cli_refuses_a_10mb_template_in_one_line(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text(TOPIC + ("# filler\n" * (10 * 1024 * 1024 // 9)))
    rc, out, err = cli(["check", big.name], tmp_path)
    assert rc == 1
    assert "CloudFormation's 1 MB template limit" in err
    assert all(len(line) < 1000 for line in err.splitlines())


# ------------------------------------------------------------------------------ policies


def test_policy_alias_bomb_is_refused_fast_with_small_memory(tmp_path):
    (tmp_path / "bomb.yaml").write_text(ALIAS_BOMB)
    assert len(ALIAS_BOMB) < 477
    code = textwrap.dedent("""
        from ecsnetpolicy.load.policy import PolicyError, load_policy
        try:
            load_policy(["bomb.yaml"])
            print("LOADED")
        except PolicyError as e:
            print(e)
        """)
    out, rss = py(code, tmp_path)
    assert one_line(out).startswith("bomb.yaml: not valid YAML") and "alias" in out
    assert rss < 300, rss  # the unguarded parse took 1.5 GB


def test_policy_that_is_not_a_regular_file_is_refused(tmp_path):
    for target in ("/dev/zero", str(tmp_path)):
        if target == str(tmp_path) or os.path.exists(target):
            with pytest.raises(PolicyError) as err:
                load_policy_file(Path(target))
            assert target in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(PolicyError, match="device"):
        load_policy(["/dev/zero"])


@pytest.mark.skipif(not HAS_FIFO, reason="needs FIFOs")
def test_policy_fifo_and_proc_files_refused_through_the_cli(tmp_path):
    tpl = write(tmp_path / "t.yaml", TOPIC)
    os.mkfifo(tmp_path / "fifo.yaml")
    for policy in ("fifo.yaml", "/dev/zero", "/proc/kmsg"):
        rc, out, err = cli(["check", tpl.name, "--policy", policy], tmp_path)
        assert rc == 1, (policy, rc, err)
        line = one_line(err)
        assert policy in line and "cannot read policy file" in line


def test_missing_policy_file_is_a_policy_error(tmp_path):
    with pytest.raises(PolicyError, match="no such file"):
        load_policy([str(tmp_path / "nope.yaml")])


def test_policy_size_is_bounded(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("schema_version: 1\n" + "# x\n" * (F.MAX_CONFIG_BYTES // 4 + 1))
    with pytest.raises(PolicyError, match="larger than"):
        load_policy_file(big)


def test_git_credentials_as_policy_never_print_the_token(tmp_path, monkeypatch):
    cred = tmp_path / ".git-credentials"
    cred.write_text(f"https://someone:{TOKEN}@github.com\n")
    with pytest.raises(PolicyError) as err:
        load_policy_file(cred)
    assert TOKEN[:8] not in str(err.value)
    assert str(cred) in str(err.value) and ":1:" in str(err.value)
    tpl = write(tmp_path / "t.yaml", TOPIC)
    rc, out, err_text = cli(["check", tpl.name, "--policy", cred.name], tmp_path)
    assert rc == 1 and TOKEN[:8] not in out + err_text
    one_line(err_text)
    # the same token in fields the schema checks: types are described, never shown
    for text in (f"schema_version: 1\nneeds: {TOKEN}\n", f"schema_version: 1\nservices: {{{TOKEN}: x}}\n", TOKEN + ": 1\n",
                 f"schema_version: 1\nneeds:\n  - id: x\n    description: {TOKEN}{TOKEN}\n"):
        cred.write_text(text)
        with pytest.raises(PolicyError) as err:
            load_policy_file(cred)
        assert TOKEN not in str(err.value), str(err.value)


def test_policy_errors_name_file_line_and_field_with_a_short_excerpt(tmp_path):
    long_value = "custom-dns-" + "x" * 200
    bad = write(tmp_path / "ours.yaml", f"""\
        schema_version: 1
        options:
          dns_egress: {long_value}
        """)
    with pytest.raises(PolicyError) as err:
        load_policy_file(bad)
    msg = str(err.value)
    assert msg.startswith(f"{bad}:3: field options/dns_egress: ")
    assert "custom-dns-xxxx" in msg and "x" * 41 not in msg


# ------------------------------------------------------------------------------ configuration


def test_config_rule_options_are_strict(repo):
    cfg = write(repo / ".ecsnetpolicy.yaml", """\
        version: 1
        rules:
          WN2002: {enable: false}
        """)
    with pytest.raises(ConfigError) as err:
        load_config()
    msg = str(err.value)
    assert msg.startswith(f"{cfg}:3: field rules/WN2002: ") and "'enable'" in msg and "\n" not in msg
    write(cfg, "version: 1\nrules:\n  WN2002: {enabled: false}\n")
    assert load_config().disabled() == ["WN2002"]


def test_config_typo_stops_the_cli_in_one_line(repo):
    write(repo / ".ecsnetpolicy.yaml", "version: 1\nrules:\n  WN2002: {enable: false}\n")
    write(repo / "t.yaml", TOPIC)
    rc, out, err = cli(["check", "t.yaml"], repo)
    assert rc == 1 and "rules/WN2002" in one_line(err) and ".ecsnetpolicy.yaml:3:" in err


def test_config_search_stops_at_the_repository_root(tmp_path, monkeypatch):
    above = write(tmp_path / ".ecsnetpolicy.yaml", "version: 1\n")  # planted above the repository
    root = tmp_path / "repo"
    sub = root / "a" / "b"
    sub.mkdir(parents=True)
    (root / ".git").write_text("gitdir: /elsewhere\n")  # a worktree's .git is a file
    monkeypatch.chdir(sub)
    assert find_config() is None
    assert load_config().path is None
    inside = write(root / ".ecsnetpolicy.yaml", "version: 1\n")
    assert find_config() == str(inside)
    # outside any repository: only the working directory itself
    lone = tmp_path / "lone" / "deeper"
    lone.mkdir(parents=True)
    monkeypatch.chdir(lone)
    assert find_config() is None
    del above


def test_config_paths_stay_inside_the_folder_or_the_repository(repo, tmp_path):
    outside = write(tmp_path / "elsewhere" / "t.yaml", TOPIC)
    write(repo / "infra" / "net.yaml", TOPIC)
    cfg = write(repo / "cfg" / ".ecsnetpolicy.yaml", """\
        version: 1
        stacks:
          - {name: net, template: ../infra/net.yaml}
        """)
    assert [s.name for s in load_config(str(cfg)).stacks] == ["net"]  # `..` inside the repository: fine
    for i, value in enumerate([str(outside), "../../elsewhere/t.yaml", "/etc/hostname"]):
        write(cfg, f"version: 1\nstacks:\n  - {{name: s, template: '{value}'}}\n")
        with pytest.raises(ConfigError) as err:
            load_config(str(cfg))
        msg = str(err.value)
        assert msg.startswith(f"{cfg}:3: field stacks/0/template: ") and "allow_paths_outside" in msg, msg
        assert "\n" not in msg
    write(cfg, f"version: 1\nstacks:\n  - {{name: s, template: '{outside}'}}\n")
    assert load_config(str(cfg), allow_outside=True).stacks[0].template == str(outside)
    write(cfg, f"version: 1\nallow_paths_outside: true\nstacks:\n  - {{name: s, template: '{outside}'}}\n")
    config = load_config(str(cfg))
    assert config.stacks[0].template == str(outside) and config.allow_outside


def test_config_link_out_of_the_repository_is_refused(repo, tmp_path):
    target = write(tmp_path / "secret" / "t.yaml", TOPIC)
    (repo / "link.yaml").symlink_to(target)
    cfg = write(repo / ".ecsnetpolicy.yaml", "version: 1\nstacks:\n  - {template: link.yaml}\n")
    with pytest.raises(ConfigError, match="leads outside"):
        load_config(str(cfg))


def test_config_policies_dev_zero_refused_fast(repo):
    cfg = write(repo / ".ecsnetpolicy.yaml", "version: 1\npolicies: [/dev/zero]\n")
    with pytest.raises(ConfigError) as err:
        load_config()
    assert f"{cfg}:2: field policies/0: " in str(err.value) and "allow_paths_outside" in str(err.value)
    if os.path.exists("/dev/zero"):
        write(cfg, "version: 1\nallow_paths_outside: true\npolicies: [/dev/zero]\n")
        with pytest.raises(ConfigError, match="device"):
            load_config()
    write(repo / "t.yaml", TOPIC)
    write(cfg, "version: 1\npolicies: [/dev/zero]\n")
    rc, out, err = cli(["check", "t.yaml"], repo)
    assert rc == 1 and "policies/0" in one_line(err)


def test_config_missing_template_and_policy_name_the_line(repo):
    cfg = write(repo / ".ecsnetpolicy.yaml", "version: 1\nstacks:\n  - template: nope.yaml\n")
    with pytest.raises(ConfigError, match=r":3: field stacks/0/template: 'nope.yaml': does not exist"):
        load_config()
    write(cfg, "version: 1\npolicies:\n  - nope/\n")
    with pytest.raises(ConfigError, match=r":3: field policies/0: "):
        load_config()


@pytest.mark.skipif(not HAS_FIFO, reason="needs FIFOs")
def test_config_that_is_a_fifo_or_a_bomb_is_refused_without_blocking(tmp_path):
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    os.mkfifo(root / ".ecsnetpolicy.yaml")
    stack_fifo = root / "s" / "stack.yaml"
    stack_fifo.parent.mkdir()
    os.mkfifo(stack_fifo)
    write(root / "s" / ".ecsnetpolicy.yaml", "version: 1\nstacks:\n  - {template: stack.yaml}\n")
    write(root / "b" / ".ecsnetpolicy.yaml", ALIAS_BOMB)
    code = textwrap.dedent("""
        import os
        from ecsnetpolicy.load.config import ConfigError, load_config
        for where in (".", "s", "b"):
            os.chdir(where)
            try:
                load_config()
                print("LOADED")
            except ConfigError as e:
                print(e)
            os.chdir(os.path.dirname(os.getcwd()) if where != "." else ".")
        """)
    out, rss = py(code, root)
    lines = out.splitlines()
    assert len(lines) == 3 and "LOADED" not in out, out
    assert "FIFO" in lines[0] and "stacks/0/template" in lines[1] and "FIFO" in lines[1] and "alias" in lines[2]
    assert rss < 300


# ------------------------------------------------------------------------------ nested stacks


def _nest(lid: str, url: str, kind: str = "AWS::CloudFormation::Stack") -> str:
    key = "TemplateURL" if kind == "AWS::CloudFormation::Stack" else "Location"
    return f"  {lid}:\n    Type: {kind}\n    Properties:\n      {key}: {url}\n"


def _stack(path: Path) -> Stack:
    return Stack(path.stem, str(path), load_file(str(path)))


def _merge(path: Path, **kwargs: Any):
    return merge([_stack(path)], "us-east-1", load_file, **kwargs)


def test_self_nesting_template_is_refused_in_one_line(repo):
    text = "Resources:\n" + "".join(_nest(f"S{i}", "./self.yaml") for i in range(4)) + "  T:\n    Type: AWS::SNS::Topic\n"
    path = write(repo / "self.yaml", text)
    assert len(text) < 420  # the 383-byte template: 86 s and 1.2 GB before
    with pytest.raises(DeploymentError) as err:
        _merge(path)
    msg = str(err.value)
    assert "nests self.yaml inside itself" in msg and "\n" not in msg
    rc, out, err_text = cli(["check", "self.yaml"], repo)
    assert rc == 1 and "inside itself" in err_text and "Traceback" not in err_text


def test_cycle_through_two_templates_is_refused_naming_it(repo):
    x = write(repo / "x.yaml", "Resources:\n" + _nest("N", "./y.yaml"))
    write(repo / "y.yaml", "Resources:\n" + _nest("M", "./x.yaml", "AWS::Serverless::Application"))
    with pytest.raises(DeploymentError, match=r"\(x\.yaml -> y\.yaml -> x\.yaml\)"):
        _merge(x)
    rc, out, err = cli(["check", "x.yaml", "y.yaml", "--format", "json"], repo)
    assert rc == 1
    rows = json.loads(out)
    assert {r["Rule"]["Id"] for r in rows} == {"EN9000"}  # no duplicated findings under two paths


def test_excessive_fan_out_is_refused_saying_the_limit(repo):
    for name, child in (("a", "b"), ("b", "c"), ("c", "d")):
        write(repo / f"{name}.yaml", "Resources:\n" + "".join(_nest(f"N{i}", f"./{child}.yaml") for i in range(10)))
    write(repo / "d.yaml", TOPIC)
    with pytest.raises(DeploymentError, match=f"at most {D.MAX_STACKS} stacks"):
        _merge(repo / "a.yaml")
    rc, out, err = cli(["check", "a.yaml"], repo)
    assert rc == 1 and f"at most {D.MAX_STACKS} stacks" in err


def test_nesting_deeper_than_the_limit_is_refused(repo):
    depth = D.MAX_NESTING_DEPTH + 2
    for i in range(depth):
        write(repo / f"l{i}.yaml", "Resources:\n" + (_nest("N", f"./l{i + 1}.yaml") if i < depth - 1 else "  T:\n    Type: AWS::SNS::Topic\n"))
    with pytest.raises(DeploymentError, match=f"at most {D.MAX_NESTING_DEPTH} levels"):
        _merge(repo / "l0.yaml")
    # exactly the limit is fine
    (repo / f"l{D.MAX_NESTING_DEPTH}.yaml").write_text(TOPIC)
    assert len(_merge(repo / "l0.yaml").stacks) == D.MAX_NESTING_DEPTH + 1


def test_same_child_twice_is_loaded_once(repo):
    write(repo / "child.yaml", TOPIC)
    parent = write(repo / "parent.yaml", "Resources:\n" + _nest("A", "./child.yaml") + _nest("B", "child.yaml"))
    calls: List[str] = []

    def load(path: str):
        calls.append(path)
        return load_file(path)

    merged = merge([_stack(parent)], "us-east-1", load)
    assert len(merged.stacks) == 3 and len(calls) == 1
    assert {"Topic@parent-A", "Topic@parent-B"} <= set(merged.template["Resources"])


def _unloaded(merged) -> List[Tuple[str, Tuple, str]]:
    return [(stack.filename, raw.path, raw.message) for stack, raw in unloaded_raws(merged)]


def test_template_url_outside_is_refused_as_in9001_unless_allowed(repo, tmp_path):
    outside = write(tmp_path / "elsewhere" / "child.yaml", TOPIC)
    for url in (str(outside), "../elsewhere/child.yaml", "/etc/passwd"):
        parent = write(repo / "parent.yaml", "Resources:\n" + _nest("Child", url))
        merged = _merge(parent)
        assert [s.filename for s in merged.stacks] == [str(parent)]
        (got,) = _unloaded(merged)
        assert got[0] == str(parent) and got[1] == ("Resources", "Child", "Properties", "TemplateURL")
        assert "leads outside" in got[2] and "--allow-outside" in got[2] and "allow_paths_outside" in got[2]
    parent = write(repo / "parent.yaml", "Resources:\n" + _nest("Child", str(outside)))
    assert len(_merge(parent, allow_outside=True).stacks) == 2
    D.ALLOW_OUTSIDE = True
    try:
        assert len(_merge(parent).stacks) == 2
    finally:
        D.ALLOW_OUTSIDE = False
    # inside the repository, above the template's folder: allowed
    write(repo / "shared" / "child.yaml", TOPIC)
    nested = write(repo / "stacks" / "parent.yaml", "Resources:\n" + _nest("Child", "../shared/child.yaml"))
    merged = _merge(nested)
    assert len(merged.stacks) == 2 and not merged.unloaded


def test_unloadable_or_missing_child_is_in9001_not_silence(repo):
    write(repo / "broken.yaml", "Resources: {a: [}\n")
    write(repo / "list.json", "[1, 2]")
    parent = write(repo / "parent.yaml", "Resources:\n" + _nest("Broken", "./broken.yaml") + _nest("Gone", "./gone.yaml")
                   + _nest("Dir", "./") + _nest("List", "list.json", "AWS::Serverless::Application") + _nest("Remote", "https://s3.amazonaws.com/b/t.yaml"))
    rows = _unloaded(_merge(parent))
    by_lid = {path[1]: (path, msg) for _f, path, msg in rows}
    assert set(by_lid) == {"Broken", "Gone", "Dir", "List"}  # a remote URL stays unknown, as before
    assert "cannot be loaded" in by_lid["Broken"][1] and "(line 1)" in by_lid["Broken"][1]
    assert "no such file" in by_lid["Gone"][1] and "directory" in by_lid["Dir"][1]
    # a SAM application anchors on the resource: cfn-lint's SAM transform rewrites Location, so
    # this is where both paths can point (test_paths_agree on the corpus's parent.yml)
    assert by_lid["List"][0] == ("Resources", "List")
    assert by_lid["Broken"][0] == ("Resources", "Broken", "Properties", "TemplateURL")
    assert all(msg.startswith(f"Could not verify nested stack {path[1]}, whose template was not analysed: ") for _f, path, msg in rows)


@pytest.mark.skipif(not HAS_FIFO, reason="needs FIFOs")
def test_template_url_fifo_is_not_waited_on(tmp_path):
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    os.mkfifo(root / "child.yaml")
    write(root / "parent.yaml", "Resources:\n" + _nest("Child", "./child.yaml") + _nest("Kmsg", "/proc/kmsg"))
    code = textwrap.dedent("""
        from ecsnetpolicy.load.deployment import Stack, merge, unloaded_raws
        from ecsnetpolicy.load.template import load_file
        m = merge([Stack("parent", "parent.yaml", load_file("parent.yaml"))], "us-east-1", load_file, allow_outside=True)
        for _s, raw in unloaded_raws(m):
            print(raw.path[1], raw.message)
        """)
    out, rss = py(code, root)
    assert "Child" in out and "FIFO" in out and "Kmsg" in out and "pseudo-file" in out, out


# ------------------------------------------------------------------------------ paths on the command line


def _tree(base: Path) -> Path:
    write(base / "t" / "a.yaml", TOPIC)
    write(base / "t" / "sub" / "b.json", '{"Resources": {}}')
    write(base / "t" / "node_modules" / "x.yaml", TOPIC)
    write(base / "t" / ".hidden" / "x.yaml", TOPIC)
    write(base / "t" / "__pycache__" / "x.yaml", TOPIC)
    write(base / "t" / "notes.txt", "not a template")
    for i in range(6):  # links back up: Python's `**` glob follows them and does not end
        (base / "t" / "sub" / f"loop{i}").symlink_to("..")
    (base / "t" / "dangling.yaml").symlink_to("nowhere.yaml")
    (base / "t" / "z_alias.yaml").symlink_to("a.yaml")
    return base / "t"


def test_expand_folder_glob_and_file_like_the_command_did(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    files, problems = F.expand(["t"], SUFFIXES)
    assert files == ["t/a.yaml", "t/sub/b.json"]  # sorted; z_alias.yaml is a.yaml again
    assert problems == [("t/dangling.yaml", "dangling symbolic link (its target does not exist)")]
    # a glob matches what Python's glob matches (node_modules too), without following links
    files, problems = F.expand(["t/**/*.yaml", "t/*.json", "missing.yaml", str(tmp_path / "t" / "a.yaml"), "t/sub/b.json"], SUFFIXES)
    assert files == ["t/__pycache__/x.yaml", "t/a.yaml", "t/node_modules/x.yaml", "t/sub/b.json"]
    assert problems == [("t/dangling.yaml", "dangling symbolic link (its target does not exist)"),
                        ("t/*.json", "no file matches this pattern"), ("missing.yaml", "no such file")]


def test_expand_reports_special_files_instead_of_raising(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "ok.yaml", TOPIC)
    paths = ["ok.yaml", str(tmp_path)]
    if HAS_FIFO:
        os.mkfifo(tmp_path / "pipe.yaml")
    if os.path.exists("/dev/null"):
        paths.append("/dev/null")
    files, problems = F.expand(paths, SUFFIXES)
    assert files == ["ok.yaml"]
    reasons = dict(problems)
    if HAS_FIFO:
        assert "FIFO" in reasons[str(tmp_path / "pipe.yaml")]
    if "/dev/null" in paths:
        assert "device" in reasons["/dev/null"]


def test_quoted_recursive_glob_over_a_link_loop_finishes(tmp_path):
    _tree(tmp_path)
    code = "from ecsnetpolicy.load.files import expand\nprint(expand(['t/**/*.yaml', 't/**'], ('.yaml', '.json')))"
    out, rss = py(code, tmp_path)
    files, problems = eval(out)  # noqa: S307 - our own repr
    assert files == ["t/__pycache__/x.yaml", "t/a.yaml", "t/node_modules/x.yaml", "t/notes.txt", "t/sub/b.json"]
    assert problems == [("t/dangling.yaml", "dangling symbolic link (its target does not exist)")]
    rc, out, err = cli(["check", "t/**/*.yaml", "--format", "json"], tmp_path)
    assert rc == 1  # the dangling link is one EN9000, the other files are still judged
    assert [(r["Filename"], r["Rule"]["Id"]) for r in json.loads(out)] == [("t/dangling.yaml", "EN9000")]
