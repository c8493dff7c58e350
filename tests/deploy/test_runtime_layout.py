"""The image's runtime stage without Docker: its files (as deploy/docker/Dockerfile copies them)
laid out in a fresh folder and run as the image's non-root user, configured by the image's
environment only, plus the admin's email and password as an operator would pass them. Checks
/healthz through the image's HEALTHCHECK command, the dashboard, /readyz and the first admin
signing in; and that the runtime packages provide every library the binary needs."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from deploy_files import stage
from support.client import Client
from support.server import ROOT, binary, free_port

BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}  # in debian:bookworm-slim already
ADMIN_EMAIL, ADMIN_PASSWORD = "owner@example.com", "a-long-admin-password"


def built_file(image_path):
    """The file of this checkout that a build stage's path stands for (stages build in /src)."""
    assert image_path.startswith("/src/"), image_path
    relative = image_path[len("/src/"):]
    if relative == "build/release/digital-enterprise":
        return binary()  # DE_BINARY, the build under test
    return os.path.join(ROOT, relative)


def needed_packages(path):
    """The Debian packages that provide the shared libraries `path` needs: those it links (NEEDED)
    and those it opens at run time by soname (dlopen; the soname is a string in the binary)."""
    needed = re.findall(r"\(NEEDED\).*\[(.+)\]", subprocess.run(["readelf", "-d", path], capture_output=True,
                                                                   text=True, check=True).stdout)
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(["ldd", path], capture_output=True, text=True,
                                                                      check=True).stdout, re.M))
    named = subprocess.run(["strings", "-a", path], capture_output=True, text=True, check=True).stdout
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    for soname in set(re.findall(r"^(lib[\w+-]+\.so\.\d+)$", named, re.M)) - set(needed):
        found = re.search(rf"^\s*{re.escape(soname)} \(.*\) => (\S+)", cache, re.M)
        assert found, f"the binary opens {soname}, which this machine lacks"
        needed.append(soname)
        resolved[soname] = found.group(1)
    packages = set()
    for lib in needed:
        real = os.path.realpath(resolved[lib])
        for candidate in (real, real.removeprefix("/usr")):
            found = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if found.returncode == 0:
                packages.add(found.stdout.split(":")[0])
                break
        else:
            raise AssertionError(f"no Debian package provides {lib} ({real})")
    return packages


def test_the_runtime_packages_provide_every_library_the_binary_needs():
    if not os.path.exists(binary()):
        pytest.fail(f"{binary()} is not built")
    runtime = set(stage("runtime").apt_packages())
    missing = needed_packages(binary()) - runtime - BASE_PACKAGES
    assert not missing, f"deploy/docker/Dockerfile's runtime stage lacks {sorted(missing)}"


@pytest.fixture
def layout():
    """A fresh folder with the runtime stage's files; the user it runs as."""
    runtime = stage("runtime")
    user = runtime.one("USER")
    uid, gid = (int(x) for x in user.split(":"))
    assert uid != 0 and gid != 0, f"USER {user}: the image must not run as root"
    root = tempfile.mkdtemp(prefix="de-runtime-")
    os.chmod(root, 0o755)
    try:
        copied = []
        for _, source, destination in runtime.copies_from():
            target = root + destination
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.isdir(built_file(source)):
                shutil.copytree(built_file(source), target)
            else:
                shutil.copy2(built_file(source), target)
            copied.append(destination)
        env = runtime.env()
        data_dir = root + env["DE_DATA_DIR"]
        os.makedirs(data_dir, mode=0o700)
        if os.geteuid() == 0:
            os.chown(data_dir, uid, gid)
        yield {"root": root, "runtime": runtime, "uid": uid, "gid": gid, "copied": copied, "data_dir": data_dir}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def as_image_user(layout, command):
    """`command` as the image's user (setpriv, when the tests run as root; else as they run)."""
    if os.geteuid() != 0:
        return command
    return ["setpriv", f"--reuid={layout['uid']}", f"--regid={layout['gid']}", "--clear-groups", "--inh-caps=-all",
            *command]


def image_environment(layout, port):
    """The image's ENV with its paths under the layout's folder, on loopback, and the admin."""
    root, env = layout["root"], {}
    prefixes = sorted({d for _, _, d in layout["runtime"].copies_from()} | {layout["runtime"].env()["DE_DATA_DIR"]})
    for key, value in layout["runtime"].env().items():
        for prefix in prefixes:
            value = value.replace(prefix, root + prefix)
        env[key] = value
    assert env["DE_LISTEN"].startswith("0.0.0.0:"), env["DE_LISTEN"]
    env["DE_LISTEN"] = f"127.0.0.1:{port}"  # tests serve on loopback only
    env.update(DE_ADMIN_EMAIL=ADMIN_EMAIL, DE_ADMIN_PASSWORD=ADMIN_PASSWORD, PATH="/usr/bin:/bin")
    return env


def test_the_runtime_layout_serves_as_a_non_root_user_from_environment_only(layout):
    runtime, root = layout["runtime"], layout["root"]
    port = free_port()
    env = image_environment(layout, port)
    command = [root + runtime.exec_form("ENTRYPOINT")[0], *runtime.exec_form("CMD")]
    healthcheck = runtime.exec_form("HEALTHCHECK")
    log_path = os.path.join(tempfile.gettempdir(), f"de-runtime-{port}.log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(as_image_user(layout, command), env=env, cwd=root + runtime.one("WORKDIR"),
                                   stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        client = Client(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, f"the server exited with {process.returncode}:\n{open(log_path).read()}"
            assert time.monotonic() < deadline, "no /healthz within 20 s:\n" + open(log_path).read()
            try:
                if client.get("/healthz", timeout=1).status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)

        # the image's own HEALTHCHECK command, as the image's user, with the image's environment
        check = subprocess.run(as_image_user(layout, healthcheck), env=env, capture_output=True, text=True, timeout=10)
        assert check.returncode == 0, f"HEALTHCHECK failed: {check.stdout}{check.stderr}"

        status = open(f"/proc/{process.pid}/status").read()
        uids = re.search(r"^Uid:\s+(.*)$", status, re.M).group(1).split()
        expected = layout["uid"] if os.geteuid() == 0 else os.geteuid()
        assert {int(u) for u in uids} == {expected} and expected != 0, uids

        assert client.get("/readyz").status == 200
        page = client.get("/", headers={"Accept": "text/html"})
        assert page.status == 200 and page.content_type.startswith("text/html"), page
        html = page.body if isinstance(page.body, str) else page.body.decode()
        assert '<div id="root">' in html, html[:300]
        for asset in re.findall(r'(?:src|href)="(/assets/[^"]+)"', html):
            assert client.get(asset).status == 200, asset

        login = client.post("/api/v1/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert login.status == 200, login
        assert login.body["user"]["roles"] == ["admin"]

        # it wrote only into its data folder
        for folder, _, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)[len(root):]
                assert path.startswith(env["DE_DATA_DIR"][len(root):]) or \
                    any(path == c or path.startswith(c + "/") for c in layout["copied"]), f"wrote {path}"
        assert os.listdir(layout["data_dir"]), "nothing in the data folder (the SQLite database)"
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(15)
    assert code == 0, f"SIGTERM: exit {code}\n" + open(log_path).read()
    # and the HEALTHCHECK fails once the server is gone
    check = subprocess.run(as_image_user(layout, healthcheck), env=env, capture_output=True, text=True, timeout=10)
    assert check.returncode != 0
    os.unlink(log_path)
