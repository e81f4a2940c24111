"""The deployment files in deploy/, checked without a container runtime or a systemd.

No Docker engine runs here, so the Dockerfile is linted (a structural check in place of hadolint) and
then acted out: its COPY lines assemble the project in a temporary /opt/suna, its build-time `suna`
steps run there, and its CMD runs with its ENV values (in this virtual environment, or in the one
SUNA_IMAGE_VENV names: a clean one where the image's ``pip install .`` installed SUNA), in a mount
namespace where the whole root file system is read-only and only a tmpfs is writable (what
``docker run --read-only --tmpfs /tmp`` gives). Its HEALTHCHECK must then say ready, a viewer must
get the app, nothing under the project may have changed, and SIGTERM (``docker stop``) must end it
all within 10 s. The listening address is the one deviation: 127.0.0.1 here, 0.0.0.0 in the image.

The systemd unit is checked for its stop behaviour and hardening (and by ``systemd-analyze verify``
where present), the nginx example for its prefix, websocket upgrade and forwarded headers, both
against each other and against the unit (test_app_security.py runs the nginx example in a real nginx).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from suna.app import server as app_server

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
UNIT = DEPLOY / "suna-app.service"
NGINX = DEPLOY / "nginx.conf"
VENV_BIN = Path(sys.executable).parent
# The image's `pip install .` played by a clean virtual environment, when one is given (docs/deploy.md):
# SUNA_IMAGE_VENV=<folder>, made as docs/deploy.md shows (`pip install -c requirements.lock .`).
IMAGE_VENV = os.environ.get("SUNA_IMAGE_VENV")
WRITABLE_VARS = ("SUNA_CACHE_DIR", "HOME", "TMPDIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR",
                 "IPYTHONDIR", "MPLCONFIGDIR", "XDG_CACHE_HOME")


# ---------------------------------------------------------------- Dockerfile


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        pending += " " + stripped.removesuffix("\\").strip()
        if not stripped.endswith("\\"):
            word, _, rest = pending.strip().partition(" ")
            instructions.append((word.upper(), rest.strip()))
            pending = ""
    return instructions


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, args in dockerfile():
        if word == "ENV":
            for item in shlex.split(args):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def exec_form(args: str) -> list[str]:
    form = json.loads(args)
    assert isinstance(form, list) and all(isinstance(a, str) for a in form), f"not exec form: {args}"
    return form


def test_dockerfile_lint():
    instructions = dockerfile()
    words = [w for w, _ in instructions]
    env = dockerfile_env()

    assert instructions[0] == ("FROM", "python:3.11-slim")
    assert words.count("FROM") == 1
    assert "ADD" not in words, "COPY, never ADD (no remote URLs, no archives unpacked)"
    for word, args in instructions:
        if word == "RUN":
            assert not re.search(r"https?://|curl |wget ", args), f"the build fetches something itself: {args}"
        assert "sudo " not in args

    installs = [args for w, args in instructions if w == "RUN" and "pip install" in args]
    assert len(installs) == 1 and "-c requirements.lock ." in installs[0], "not the Makefile's pinned install"

    users = [(i, args) for i, (w, args) in enumerate(instructions) if w == "USER"]
    assert users, "no USER: the container would run as root"
    last_user_at, user = users[-1]
    assert user.split(":")[0] not in ("root", "0"), user
    assert all(i < last_user_at for i, (w, _) in enumerate(instructions) if w == "RUN"), "RUN after USER"
    created = next(args for w, args in instructions if w == "RUN" and "useradd" in args)
    assert f" {user.split(':')[0]}" in created and re.search(r"--uid (\d{4,})", created), "the user is created with a fixed uid"

    healthchecks = [args for w, args in instructions if w == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and "--start-period=" in healthchecks[0]
    assert exec_form(healthchecks[0].split("CMD", 1)[1].strip()) == ["suna", "app", "--health-check"]

    assert [args for w, args in instructions if w == "EXPOSE"] == [env["SUNA_APP_PORT"]]
    cmd = exec_form(next(args for w, args in instructions if w == "CMD"))  # exec form: `suna app` gets the signal
    assert cmd[:2] == ["suna", "app"] and "--no-browser" in cmd
    assert dict((w, a) for w, a in instructions).get("STOPSIGNAL", "SIGTERM") == "SIGTERM"

    for name in WRITABLE_VARS:
        assert env[name] == "/tmp" or env[name].startswith("/tmp/"), f"{name}={env[name]} is not on the tmpfs"
    assert not [k for k in env if re.search(r"TOKEN|SECRET|PASSWORD|KEY", k)], "a secret baked into the image"
    assert env["SUNA_HOME"] == next(args for w, args in instructions if w == "WORKDIR")

    for word, args in instructions:
        if word == "COPY":
            *sources, _ = [a for a in shlex.split(args) if not a.startswith("--")]
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
                assert not re.match(r"(\.venv|\.cache|\.git|reports|tests)(/|$)", source)
                assert not source.startswith("data/") or re.match(r"data/(reference|published|sample/README\.md)", source), \
                    f"COPY {source}: data other than the shipped reference and published tables"

    ignore = [line.strip() for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert ignore[0] == "**", "the build context is deny-by-default"


def test_dockerfile_build_steps_and_start_command_run_with_a_read_only_root(tmp_path):
    instructions = dockerfile()
    workdir = Path(next(args for w, args in instructions if w == "WORKDIR"))
    home = tmp_path / "opt-suna"  # plays /opt/suna
    home.mkdir()
    build = tmp_path / "build-tmp"
    for word, args in instructions:  # COPY as Docker would (the library itself is this venv's)
        if word != "COPY":
            continue
        *sources, target = [a for a in shlex.split(args) if not a.startswith("--")]
        for source in sources:
            if source in ("pyproject.toml", "README.md", "requirements.lock", "lib/"):
                continue
            destination = home / (target if not target.startswith("/") else Path(target).relative_to(workdir))
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, destination, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
            else:
                if target.endswith("/"):
                    destination = destination / Path(source).name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / source, destination)
    image_bin = Path(IMAGE_VENV) / "bin" if IMAGE_VENV else VENV_BIN
    base_env = {**os.environ, "PATH": f"{image_bin}{os.pathsep}{os.environ['PATH']}", "SUNA_HOME": str(home)}
    if IMAGE_VENV:  # SUNA as installed there, not this checkout's library
        base_env.pop("PYTHONPATH", None)
    for word, args in instructions:  # the build-time `suna` steps (sample, shapes)
        if word == "RUN" and re.search(r"(^|&& *)(\w+=\S+ +)*suna ", args):
            for step in (s.strip() for s in args.split("&&")):
                words = shlex.split(step)
                assignments = {}
                while words and re.match(r"^\w+=", words[0]):
                    key, _, value = words.pop(0).partition("=")
                    assignments[key] = value.replace("/tmp", str(build), 1)
                if words and words[0] == "suna":
                    done = subprocess.run(words, env={**base_env, **assignments}, capture_output=True, text=True, timeout=600)
                    assert done.returncode == 0, f"{step}:\n{done.stdout}\n{done.stderr}"
    before = _snapshot(home)

    tmpfs = tmp_path / "tmpfs"  # plays the container's /tmp
    tmpfs.mkdir()
    port = app_server.free_port()
    env = {**base_env}
    for key, value in dockerfile_env().items():
        env[key] = str(tmpfs) + value[len("/tmp"):] if value == "/tmp" or value.startswith("/tmp/") else value
    env.update({"SUNA_HOME": str(home), "SUNA_APP_HOST": "127.0.0.1", "SUNA_APP_PORT": str(port)})
    env.pop("SUNA_APP_TOKEN", None)
    cmd = exec_form(next(args for w, args in instructions if w == "CMD"))
    read_only = _can_make_root_read_only()
    if read_only:
        wrapper = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                   'mount -t tmpfs -o size=2g,mode=1777 tmpfs "$0" && mount -o remount,bind,ro / || exit 98; '
                   'if touch "$SUNA_HOME/.write-probe" 2>/dev/null; then echo "root file system writable" >&2; exit 97; fi; '
                   'exec "$@"', str(tmpfs)]
    else:  # no mount namespace (not root): the project at least is not writable
        subprocess.run(["chmod", "-R", "a-w", str(home)], check=True)
        wrapper = []
    out, err = tmp_path / "app.out", tmp_path / "app.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        process = subprocess.Popen([*wrapper, *cmd], env=env, stdout=stdout, stderr=stderr, start_new_session=True)
    tree: dict[int, psutil.Process] = {}
    try:
        healthcheck = exec_form(next(args for w, args in instructions if w == "HEALTHCHECK").split("CMD", 1)[1].strip())
        deadline = time.monotonic() + 900
        while True:
            assert process.poll() is None, f"the start command ended ({process.returncode}):\n{err.read_text()[-4000:]}"
            for child in psutil.Process(process.pid).children(recursive=True):
                tree.setdefault(child.pid, child)
            check = subprocess.run(healthcheck, env=env, capture_output=True, text=True, timeout=60)
            if check.returncode == 0:
                break
            assert time.monotonic() < deadline, f"never healthy: {check.stdout}\n{err.read_text()[-4000:]}"
            time.sleep(3)
        assert json.loads(check.stdout)["ready"] is True

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=600) as response:
            assert response.status == 200 and b"kernelId" in response.read()
        for target in CONTAINER_HOSTILE:  # the full list is test_app_security.py's; these reach its files
            status = _status(port, target)
            assert not 200 <= status < 300 and status != 0, f"{target}: {status}"
        for child in psutil.Process(process.pid).children(recursive=True):
            tree.setdefault(child.pid, child)
        assert subprocess.run(healthcheck, env=env, capture_output=True, timeout=60).returncode == 0

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)  # docker stop
        process.wait(timeout=15)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for p in tree.values():
            try:
                p.kill()
            except psutil.Error:
                pass
        if not read_only:
            subprocess.run(["chmod", "-R", "u+w", str(home)], check=False)
    assert process.returncode == 0, err.read_text()[-3000:]
    assert took <= 10.0, f"docker stop would take {took:.1f} s"
    alive = [p.pid for p in tree.values() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"left running: {alive}"
    assert _snapshot(home) == before, "the start command wrote under the project folder"
    log = err.read_text()
    assert "Read-only file system" not in log and "Permission denied" not in log, log[-3000:]
    print(f"container start command: {'read-only root' if read_only else 'project not writable'}; stopped in {took:.2f} s")


CONTAINER_HOSTILE = ["/../params/essex.yaml", "/voila/files/%2e%2e/%2e%2e/params/essex.yaml", "/api/contents",
                     "/tree", "/files/district_explorer.ipynb", "/api/kernels", "/voila/static/..%2f..%2f..%2fetc%2fpasswd"]


def _status(port: int, target: str) -> int:
    """The final status of ``target`` sent as written, redirects on this server followed."""
    import http.client

    for _ in range(5):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            connection.request("GET", target)
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        location = response.getheader("Location")
        if response.status not in (301, 302, 303, 307, 308) or not location or not location.startswith("/"):
            return response.status
        target = location
    return 0


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def _can_make_root_read_only() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", "mount -o remount,bind,ro / && true"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


# ---------------------------------------------------------------- systemd unit


def unit() -> list[tuple[str, str, str]]:
    """(section, key, value) in order; repeated keys (Environment=) kept."""
    entries, section = [], ""
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def unit_value(key: str, section: str = "Service") -> str:
    values = [v for s, k, v in unit() if s == section and k == key]
    assert values, f"{key}= missing from [{section}]"
    return values[-1]


def unit_environment() -> dict[str, str]:
    env = {}
    for section, key, value in unit():
        if section == "Service" and key == "Environment":
            for item in shlex.split(value):
                name, _, setting = item.partition("=")
                env[name] = setting
    return env


def test_systemd_unit_stops_cleanly_and_is_hardened():
    assert unit_value("User") not in ("root", "0") and unit_value("Group") not in ("root", "0")
    assert unit_value("ExecStart").split()[-3:] == ["suna", "app", "--no-browser"] or \
        unit_value("ExecStart").endswith("/suna app --no-browser")
    assert unit_value("KillMode") == "mixed" and unit_value("KillSignal") == "SIGTERM"
    assert float(unit_value("TimeoutStopSec").rstrip("s")) > app_server.STOP_GRACE + 2
    assert unit_value("Restart") == "on-failure"
    env = unit_environment()
    assert app_server.is_loopback(env["SUNA_APP_HOST"]), "behind the proxy, the app listens on loopback only"
    assert "SUNA_APP_TOKEN" not in env and unit_value("EnvironmentFile").startswith("-/etc/")
    cache, runtime = f"/var/cache/{unit_value('CacheDirectory')}", f"/run/{unit_value('RuntimeDirectory')}"
    for name in WRITABLE_VARS:
        if name in env:
            assert env[name].startswith((cache, runtime)), f"{name}={env[name]} is not writable under ProtectSystem=strict"
    hardening = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
                 "PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
                 "ProtectControlGroups": "yes", "RestrictNamespaces": "yes", "RestrictSUIDSGID": "yes",
                 "LockPersonality": "yes", "CapabilityBoundingSet": "", "AmbientCapabilities": "",
                 "SystemCallArchitectures": "native", "UMask": "0077"}
    for key, value in hardening.items():
        assert unit_value(key) == value, f"{key}={unit_value(key)}"
    assert set(unit_value("RestrictAddressFamilies").split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}
    assert unit_value("SystemCallFilter").startswith("@system-service")


def test_systemd_analyze_verify_finds_nothing(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    text = UNIT.read_text()
    # the binary and folder the unit names exist on a server, not here
    text = text.replace("/opt/suna/.venv/bin/suna", str(VENV_BIN / "suna")).replace("WorkingDirectory=/opt/suna",
                                                                                       f"WorkingDirectory={ROOT}")
    copy = tmp_path / UNIT.name
    copy.write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if UNIT.name in line]
    assert not complaints, "\n".join(complaints)


# ---------------------------------------------------------------- nginx example


def nginx_location(prefix: str) -> str:
    text = NGINX.read_text()
    start = re.search(rf"location\s+{re.escape(prefix)}\s*\{{", text)
    assert start, f"no location {prefix}"
    depth, i = 0, start.end() - 1
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j]
    raise AssertionError("unbalanced braces")


def test_nginx_example_matches_the_unit_and_passes_websockets():
    text = re.sub(r"#[^\n]*", "", NGINX.read_text())
    assert text.count("{") == text.count("}")
    env = unit_environment()
    base = env["SUNA_APP_BASE_URL"]
    assert base == app_server.normalise_base_url(base) and base != "/"
    assert re.search(rf"server\s+{re.escape(env['SUNA_APP_HOST'])}:{env['SUNA_APP_PORT']};", text), "upstream is not the unit's address"
    block = re.sub(r"#[^\n]*", "", nginx_location(base))
    assert re.search(r"proxy_pass\s+http://suna_app;", block), "proxy_pass with no URI keeps the base URL"
    assert re.search(r"map\s+\$http_upgrade\s+\$connection_upgrade", text)
    for header, value in [("Upgrade", "$http_upgrade"), ("Connection", "$connection_upgrade"), ("Host", "$host"),
                          ("X-Real-IP", "$remote_addr"), ("X-Forwarded-For", "$proxy_add_x_forwarded_for"),
                          ("X-Forwarded-Proto", "$scheme")]:
        assert re.search(rf"proxy_set_header\s+{re.escape(header)}\s+{re.escape(value)};", block), header
    assert "proxy_http_version 1.1;" in block
    assert int(re.search(r"proxy_read_timeout\s+(\d+)s;", block).group(1)) >= 3600
    assert re.search(r"auth_request\s+\S+;", block), "no single sign-on check in front of the app"
    health = re.sub(r"#[^\n]*", "", NGINX.read_text().split(f"location = {base}{app_server.HEALTH_PATH}", 1)[1].split("}", 1)[0])
    assert "deny all;" in health


# ---------------------------------------------------------------- start-up messages


def test_listening_beyond_loopback_without_a_token_is_said_at_start_up():
    assert app_server.exposure_warning("127.0.0.1", None) is None
    assert app_server.exposure_warning("0.0.0.0", "a-token") is None
    warning = app_server.exposure_warning("0.0.0.0", None)
    assert warning.count("\n") == 0 and "anyone who can reach this port can open the app" in warning
    assert "--token" in warning and "sign-in" in warning
    # through the command line: the port is held (bound, not listening) so nothing starts
    with socket.socket() as held:
        held.bind(("0.0.0.0", 0))
        port = held.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "suna.cli", "app", "--host", "0.0.0.0", "--port", str(port),
                                 "--no-browser"], capture_output=True, text=True, timeout=60,
                                env={k: v for k, v in os.environ.items() if k != "SUNA_APP_TOKEN"})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and lines[0] == warning and "already in use" in lines[1]


@pytest.mark.parametrize(("given", "expected"), [("/", "/"), ("", "/"), ("suna", "/suna/"), ("/suna-app/", "/suna-app/"),
                                                 ("/a/b", "/a/b/")])
def test_base_url_is_normalised(given, expected):
    assert app_server.normalise_base_url(given) == expected


@pytest.mark.parametrize("given", ["/../", "/a/../b/", "/a?b", "/a b/", "/%2e%2e/", "/a#b/", "/a\\b/"])
def test_unsafe_base_urls_are_refused(given):
    from suna.core.errors import SunaError

    with pytest.raises(SunaError):
        app_server.normalise_base_url(given)


def test_health_check_says_no_when_nothing_answers():
    result = subprocess.run([sys.executable, "-m", "suna.cli", "app", "--health-check", "--port", str(app_server.free_port())],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "no answer" in result.stdout


@pytest.mark.parametrize(("args", "env", "expected"), [
    (["--port", "0"], {}, "suna: --port (or SUNA_APP_PORT) must be from 1 to 65535; got 0."),
    (["--port", "70000"], {}, "suna: --port (or SUNA_APP_PORT) must be from 1 to 65535; got 70000."),
    ([], {"SUNA_APP_MAX_KERNELS": "-1"}, "suna: --max-kernels (or SUNA_APP_MAX_KERNELS) must be 0 or more; got -1."),
    (["--cull-idle", "-5"], {}, "suna: --cull-idle (or SUNA_APP_CULL_IDLE) must be 0 or more; got -5."),
    (["--pool-size", "0"], {}, "suna: --pool-size (or SUNA_APP_POOL_SIZE) must be 1 or more; got 0."),
    (["--base-url", "/../"], {}, "suna: --base-url '/../' is not a plain path such as /suna/ (letters, digits, '.', '_', '~', '-')."),
])
def test_a_wrong_option_is_one_line_naming_it(args, env, expected):
    result = subprocess.run([sys.executable, "-m", "suna.cli", "app", "--no-browser", *args], capture_output=True,
                            text=True, timeout=60, env={**os.environ, **env})
    assert (result.returncode, result.stderr.strip(), result.stdout) == (2, expected, "")


def test_safe_defaults():
    """Loopback, a viewer limit and idle culling unless the operator says otherwise."""
    from suna import cli

    args = cli.build_parser().parse_args(["app"])
    assert (args.host, args.port, args.base_url) == ("127.0.0.1", 8866, "/")
    assert args.max_kernels > 0 and args.cull_idle > 0 and args.token is None
