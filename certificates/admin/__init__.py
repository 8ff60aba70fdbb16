"""The guidance centre's screens for certificates, one module per area. Display only:
every change goes through ``certificates.services``, from ServiceForms and from actions
that report each row. Importing this package registers every admin class."""

from . import archive, case, certificates, consents, findings, issuance, lost, upload

__all__ = ["archive", "case", "certificates", "consents", "findings", "issuance", "lost", "upload"]
