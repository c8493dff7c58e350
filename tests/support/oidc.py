"""A real OpenID provider for the SSO tests (tests/oidc-npm: node-oidc-provider), and a
browser made of plain HTTP that signs in through it.

    provider = OidcProvider(client_id="de-test", secret="s3cret", redirect_uri=...).start(keys=[make_key("k1")])
    browser = Browser()
    callback = browser.authorize(server.url, "alice")   # the provider's redirect back, not yet followed
    answer = browser.get(callback)                       # the server's callback: 302 to the dashboard

The provider's accounts (alice: admins, bob: sales, carol: no mapped group, mallory and
verified_admin: the first admin's email, unverified and verified) are in tests/oidc-npm/provider.mjs.
"""
import http.cookiejar
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from support.server import ROOT, free_port, terminate

NPM_DIR = pathlib.Path(ROOT) / "tests" / "oidc-npm"


def available():
    return (NPM_DIR / "node_modules" / "oidc-provider").is_dir()


def make_key(kid, alg="RS256"):
    """A new private JWK (the provider signs with the first key it is given)."""
    out = subprocess.run(["node", str(NPM_DIR / "make-key.mjs"), kid, alg], capture_output=True, text=True,
                         check=True, timeout=60)
    return json.loads(out.stdout)


class OidcProvider:
    def __init__(self, client_id, redirect_uri, secret=""):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.client_id = client_id
        self.secret = secret
        self.redirect_uri = redirect_uri
        self.dir = tempfile.mkdtemp(prefix="de-oidc-")
        self.log_path = os.path.join(self.dir, "provider.log")
        self.process = None

    def start(self, keys):
        keys_path = os.path.join(self.dir, "keys.json")
        with open(keys_path, "w") as f:
            json.dump(keys, f)
        env = dict(os.environ, OIDC_PORT=str(self.port), OIDC_CLIENT_ID=self.client_id,
                   OIDC_CLIENT_SECRET=self.secret, OIDC_REDIRECT_URI=self.redirect_uri, OIDC_KEYS=keys_path,
                   NODE_NO_WARNINGS="1")
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen(["node", str(NPM_DIR / "provider.mjs")], env=env, stdout=log, stderr=log,
                                            stdin=subprocess.DEVNULL)
        finally:
            log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the OpenID provider exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.issuer + "/.well-known/openid-configuration", timeout=1):
                    return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.05)
        raise RuntimeError("the OpenID provider did not start:\n" + self.log())

    def stop(self):
        if self.process is not None:
            terminate(self.process)
            self.process = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def requests(self, path):
        """How many times the provider was asked for `path` (its log lines `REQUEST GET /jwks`)."""
        return sum(1 for line in self.log().splitlines() if line.split(" ")[2:3] == [path])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Answer:
    def __init__(self, status, headers, body, url):
        self.status, self.headers, self.body, self.url = status, headers, body, url

    @property
    def location(self):
        return urllib.parse.urljoin(self.url, self.headers.get("Location", ""))

    def cookies(self):
        return self.headers.get_all("Set-Cookie") or []


class Browser:
    """Cookies kept, redirects followed one at a time (so a test can stop at any of them)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, method, url, form=None, headers=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as r:
                return Answer(r.status, r.headers, r.read().decode("utf-8", "replace"), url)
        except urllib.error.HTTPError as e:
            return Answer(e.code, e.headers, e.read().decode("utf-8", "replace"), url)

    def get(self, url):
        return self.request("GET", url)

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)

    def authorize(self, server_url, account, start=None):
        """From the server's SSO login (or `start`, the provider's authorization URL) through the
        provider's login and consent pages as `account`: the URL the provider sends the browser
        back to (the server's callback), not yet requested."""
        url = start or server_url + "/api/v1/auth/oidc/login"
        for _ in range(20):
            if urllib.parse.urlsplit(url).path == "/api/v1/auth/oidc/callback":
                return url
            answer = self.get(url)
            if answer.status in (301, 302, 303, 307):
                url = answer.location
                continue
            assert answer.status == 200, f"{url} answered {answer.status}: {answer.body[:500]}"
            action = re.search(r'<form[^>]*action="([^"]+)"', answer.body)
            prompt = re.search(r'name="prompt" value="(\w+)"', answer.body)
            assert action and prompt, f"no login or consent form at {url}: {answer.body[:500]}"
            form = {"prompt": prompt.group(1)}
            if prompt.group(1) == "login":
                form.update(login=account, password="any")
            posted = self.request("POST", urllib.parse.urljoin(url, action.group(1)), form=form)
            assert posted.status in (302, 303), f"the provider's {prompt.group(1)} form answered {posted.status}"
            url = posted.location
        raise AssertionError("too many redirects at the provider")
