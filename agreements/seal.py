"""The document seal: the certificate that signs (PAdES) every agreement PDF we issue.

Which certificate seals an organisation's PDFs:

1. Its own, when the environment variable `SEAL_ORG_PKCS12` lists it. The value is JSON
   mapping organisation slugs to a PKCS#12 file and its password::

       SEAL_ORG_PKCS12='{"acme": {"path": "/run/secrets/acme-seal.p12", "password": "..."}}'

   (A settings override may give the dict itself.)
2. Otherwise the installation's: `SEAL_PKCS12` (path of a PKCS#12 file holding the key,
   the certificate and any chain) with `SEAL_PASSWORD` (or `SEAL_PASSWORD_FILE`).
3. With no `SEAL_PKCS12`, a self-signed certificate generated on first use: CN "peercoach
   document seal", O "peercoach", EC P-256, valid ten years, key usage digitalSignature and
   nonRepudiation. It is kept in `SEAL_DIR` (default VAR_DIR/seal, mode 0700, outside
   MEDIA_ROOT and STATIC_ROOT) as `seal.p12`, its random password in `seal.password`
   (mode 0600). Back the directory up: if it is lost, a new certificate is generated and
   PDFs issued before still verify by their SHA-256, but their seal is no longer one this
   installation recognises.

Two workers asking for the generated certificate at once end with one: generation holds
an exclusive `flock` on `SEAL_DIR/.lock` and checks again under it, and each file is
written under a temporary name and renamed into place, the password first, so whoever
sees `seal.p12` also finds its password.

Loaded seals are cached per process, keyed by the file's path, size and modification time
(and password), so replacing a certificate file takes effect without a restart.
A problem the operator must fix (missing or unreadable file, wrong password, malformed
`SEAL_ORG_PKCS12`) raises `SealConfigError`.
"""

import datetime
import fcntl
import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger(__name__)

GENERATED_NAME = "seal.p12"
PASSWORD_NAME = "seal.password"  # noqa: S105 - a file name, not a password
LOCK_NAME = ".lock"
COMMON_NAME = "peercoach document seal"
INSTALLATION_NAME = "peercoach"
VALID_DAYS = 3652

_cache = {}
_cache_lock = threading.Lock()


class SealConfigError(ImproperlyConfigured):
    """The seal certificate cannot be used as configured; the message says what to fix."""


@dataclass(frozen=True)
class Seal:
    """A loaded certificate: the pyHanko signer, its certificate, and where it came from."""

    signer: object  # pyhanko.sign.signers.SimpleSigner
    certificate: object  # asn1crypto.x509.Certificate
    source: str  # "organisation", "installation" or "generated"


@receiver(setting_changed)
def _forget_on_setting_change(*, setting, **kwargs):
    if setting.startswith("SEAL_"):
        clear_cache()


def clear_cache():
    with _cache_lock:
        _cache.clear()


# --- Which certificate ------------------------------------------------------------------


def organization_configs():
    """{slug: {"path", "password"}} from SEAL_ORG_PKCS12; raises SealConfigError if malformed."""
    raw = getattr(settings, "SEAL_ORG_PKCS12", "") or {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise SealConfigError(f"SEAL_ORG_PKCS12 is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise SealConfigError('SEAL_ORG_PKCS12 must map slugs to {"path": ..., "password": ...}.')
    configs = {}
    for slug, entry in raw.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise SealConfigError(f'SEAL_ORG_PKCS12["{slug}"] needs a "path" (and a "password").')
        configs[slug] = {"path": entry["path"], "password": str(entry.get("password") or "")}
    return configs


def seal_for(organization):
    """The seal for `organization`'s PDFs: its own if configured, else the installation's.

    Generates the installation certificate on first use when none is configured.
    Raises SealConfigError when the configured certificate cannot be loaded.
    """
    config = organization_configs().get(organization.slug) if organization else None
    if config is not None:
        return _load(Path(config["path"]), config["password"], "organisation")
    return installation_seal()


def installation_seal(*, create=True):
    """The installation's seal: SEAL_PKCS12, else the generated one (made if `create`).

    Returns None only when nothing is configured, none was generated yet and not `create`.
    """
    if settings.SEAL_PKCS12:
        return _load(Path(settings.SEAL_PKCS12), settings.SEAL_PASSWORD or "", "installation")
    seal_dir = Path(settings.SEAL_DIR)
    try:
        if not (seal_dir / GENERATED_NAME).exists():
            if not create:
                return None
            _generate(seal_dir)
        password = (seal_dir / PASSWORD_NAME).read_text().strip()
    except OSError as exc:
        raise SealConfigError(
            f"The generated seal certificate in SEAL_DIR {seal_dir} cannot be made or read: "
            f"{exc.strerror or exc}."
        ) from None
    return _load(seal_dir / GENERATED_NAME, password, "generated")


def trusted_certificates():
    """Every certificate whose seal this installation vouches for (for verification).

    A certificate that cannot be loaded is logged and left out: one organisation's broken
    file must not stop anyone else's PDF from verifying.
    """
    certificates = []
    try:
        seal = installation_seal(create=False)
        if seal is not None:
            certificates.append(seal.certificate)
    except (SealConfigError, OSError):
        logger.exception("The installation's seal certificate cannot be loaded")
    try:
        configs = organization_configs()
    except SealConfigError:
        logger.exception("SEAL_ORG_PKCS12 cannot be read")
        configs = {}
    for slug, config in configs.items():
        try:
            certificates.append(
                _load(Path(config["path"]), config["password"], "organisation").certificate
            )
        except SealConfigError:
            logger.exception("The seal certificate of %s cannot be loaded", slug)
    return certificates


# --- Loading ----------------------------------------------------------------------------


def _load(path, password, source):
    try:
        stat = path.stat()
    except OSError as exc:
        raise SealConfigError(f"Seal certificate {path} cannot be read: {exc.strerror}.") from None
    key = (str(path), stat.st_mtime_ns, stat.st_size, password)
    with _cache_lock:
        seal = _cache.get(key)
    if seal is not None:
        return seal
    from pyhanko.sign import signers

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SealConfigError(f"Seal certificate {path} cannot be read: {exc.strerror}.") from None
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(
            data, other_certs=[], passphrase=password.encode() or None
        )
    except ValueError:
        raise SealConfigError(
            f"Seal certificate {path} is not a PKCS#12 file or its password is wrong."
        ) from None
    if signer.signing_cert is None or signer.signing_key is None:
        raise SealConfigError(f"Seal certificate {path} holds no certificate with its key.")
    seal = Seal(signer=signer, certificate=signer.signing_cert, source=source)
    with _cache_lock:
        # Drop older versions of the same file.
        for old in [k for k in _cache if k[0] == key[0]]:
            del _cache[old]
        _cache[key] = seal
    return seal


# --- Generating -------------------------------------------------------------------------


def _generate(seal_dir):
    """Create the self-signed certificate in `seal_dir` unless another process did."""
    seal_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock_fd = os.open(seal_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        if (seal_dir / GENERATED_NAME).exists():
            return  # another worker made it while we waited
        password = secrets.token_urlsafe(32)
        _write_atomic(seal_dir / PASSWORD_NAME, password.encode() + b"\n")
        _write_atomic(seal_dir / GENERATED_NAME, _self_signed_pkcs12(password))
        logger.info("Generated the installation's document seal certificate in %s", seal_dir)
    finally:
        fcntl.flock(lock_fd, fcntl.LOCK_UN)
        os.close(lock_fd)


def _write_atomic(path, data):
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _self_signed_pkcs12(password):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, INSTALLATION_NAME),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        name=COMMON_NAME.encode(),
        key=key,
        cert=certificate,
        cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode()),
    )
