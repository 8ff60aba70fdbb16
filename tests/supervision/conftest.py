# The supervision tests build cases with the certificate tests' helpers (up to passed and issued).
from tests.certificates.conftest import announcement, candidate, case, hairdresser, staff

__all__ = ["announcement", "candidate", "case", "hairdresser", "staff"]
