#!/usr/bin/python3
"""Certificates for the TLS tests and the bench, made by the openssl CLI.

    tlscerts.py DIR

writes into DIR, each PEM as Octavia writes a listener's (certificate,
key, then the chain):

  server.pem    metrics.example, IP 127.0.0.1 (via an intermediate CA)
  sni.pem       other.example and *.wild.example (same intermediate)
  ca.pem        the root the clients trust for those
  client-ca.pem the CA of client certificates (tls-client-ca)
  client.pem    a client certificate of client-ca ("prometheus")
  revoked.pem   another, revoked in crl.pem
  crl.pem       client-ca's CRL
  stranger.pem  a client certificate of a CA nobody trusts
  *.crt/*.key   the same certificates and keys apart, for clients

make(dir) does the same from Python and returns the paths.
"""
import os
import shutil
import subprocess
import sys
import textwrap


def _run(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _key(d, name):
    _run("genpkey", "-algorithm", "EC", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-out", f"{name}.key", cwd=d)


def _ca(d, name, cn, issuer=None):
    _key(d, name)
    ext = os.path.join(d, f"{name}.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:TRUE\n"
                "keyUsage=critical,keyCertSign,cRLSign\n"
                "subjectKeyIdentifier=hash\n")
    if issuer is None:
        _run("req", "-x509", "-new", "-key", f"{name}.key", "-subj",
             f"/CN={cn}", "-days", "3650", "-out", f"{name}.crt",
             "-extensions", "v3", "-config", _req_conf(d, ext), cwd=d)
    else:
        _sign(d, name, cn, issuer, ext)


def _req_conf(d, ext):
    conf = os.path.join(d, "req.cnf")
    with open(conf, "w") as f:
        f.write("[req]\ndistinguished_name=dn\n[dn]\n[v3]\n" +
                open(ext).read())
    return conf


def _sign(d, name, subj_cn, issuer, ext, days=3650, o=None):
    subj = f"/CN={subj_cn}" + (f"/O={o}" if o else "")
    _run("req", "-new", "-key", f"{name}.key", "-subj", subj,
         "-out", f"{name}.csr", "-config", _req_conf(d, ext), cwd=d)
    _run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.crt",
         "-CAkey", f"{issuer}.key", "-CAcreateserial", "-days", str(days),
         "-extfile", ext, "-out", f"{name}.crt", cwd=d)


def _leaf(d, name, cn, issuer, san=None, client=False):
    _key(d, name)
    ext = os.path.join(d, f"{name}.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                f"extendedKeyUsage={'clientAuth' if client else 'serverAuth'}\n")
        if san:
            f.write(f"subjectAltName={san}\n")
    _sign(d, name, cn, issuer, ext, o="Octavia test")


def _pem(d, name, chain=()):
    """Octavia's layout: certificate, key, then the intermediates."""
    parts = [f"{name}.crt", f"{name}.key", *[f"{c}.crt" for c in chain]]
    with open(os.path.join(d, f"{name}.pem"), "w") as f:
        for p in parts:
            f.write(open(os.path.join(d, p)).read())


def _crl(d, ca, revoked):
    db = os.path.join(d, f"{ca}-db")
    os.makedirs(db, exist_ok=True)
    open(os.path.join(db, "index.txt"), "w").close()
    with open(os.path.join(db, "crlnumber"), "w") as f:
        f.write("01\n")
    conf = os.path.join(db, "ca.cnf")
    with open(conf, "w") as f:
        f.write(textwrap.dedent(f"""\
            [ca]
            default_ca = c
            [c]
            database = {db}/index.txt
            crlnumber = {db}/crlnumber
            certificate = {d}/{ca}.crt
            private_key = {d}/{ca}.key
            default_md = sha256
            default_crl_days = 3650
            """))
    for r in revoked:
        _run("ca", "-config", conf, "-revoke", f"{r}.crt", cwd=d)
    _run("ca", "-config", conf, "-gencrl", "-out", "crl.pem", cwd=d)


def revoke(d, name, out):
    """Revokes name.crt (of client-ca) too, and writes client-ca's new
    CRL to out: what an operator's CA hands over at rotation."""
    conf = os.path.join(d, "client-ca-db", "ca.cnf")
    _run("ca", "-config", conf, "-revoke", f"{name}.crt", cwd=d)
    _run("ca", "-config", conf, "-gencrl", "-out", out, cwd=d)
    os.chmod(out, 0o644)


def openssl_date(args, path):
    """A date the openssl CLI reads from a file (args: ["x509",
    "-enddate"] or ["crl", "-nextupdate"]), as seconds since the epoch:
    the oracle for the agent's own parse."""
    import calendar
    import time
    out = subprocess.run(["openssl", *args, "-noout", "-in", path],
                         capture_output=True, text=True, check=True).stdout
    when = out.strip().split("=", 1)[1]
    return calendar.timegm(time.strptime(when, "%b %d %H:%M:%S %Y GMT"))


def make(d):
    os.makedirs(d, exist_ok=True)
    _ca(d, "ca", "Test Root CA")
    _ca(d, "inter", "Test Intermediate CA", issuer="ca")
    _leaf(d, "server", "metrics.example", "inter",
          san="DNS:metrics.example,IP:127.0.0.1")
    _leaf(d, "sni", "other.example", "inter",
          san="DNS:other.example,DNS:*.wild.example")
    _pem(d, "server", chain=["inter"])
    _pem(d, "sni", chain=["inter"])
    _ca(d, "client-ca", "Test Client CA")
    _leaf(d, "client", "prometheus", "client-ca", client=True)
    _leaf(d, "revoked", "revoked", "client-ca", client=True)
    _ca(d, "rogue", "Nobody's CA")
    _leaf(d, "stranger", "stranger", "rogue", client=True)
    for n in ["client", "revoked", "stranger"]:
        _pem(d, n)
    _crl(d, "client-ca", ["revoked"])
    os.rename(os.path.join(d, "ca.crt"), os.path.join(d, "ca.pem"))
    shutil.copy(os.path.join(d, "client-ca.crt"),
                os.path.join(d, "client-ca.pem"))
    # the agent may run as nobody: readable, as the test's own files
    for name in os.listdir(d):
        p = os.path.join(d, name)
        if os.path.isfile(p):
            os.chmod(p, 0o644)
    return {n: os.path.join(d, n) for n in os.listdir(d)}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    make(sys.argv[1])
