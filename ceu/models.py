"""Import every feature's models so the metadata (create_all, Alembic) sees all tables."""

from ceu.audit.models import AuditEvent  # noqa: F401
from ceu.auth.models import LoginThrottle, User, UserRole  # noqa: F401
from ceu.catalog.models import Course, CourseFile, CourseVersion, Module, Question  # noqa: F401
from ceu.certificates.models import (  # noqa: F401
    Certificate,
    CertificateSequence,
    EvaluationResponse,
    ProviderSettings,
)
from ceu.core.ratelimit import RateLimitCounter  # noqa: F401
from ceu.learning.models import Enrollment, ModuleProgress  # noqa: F401
from ceu.quiz.models import Attempt, AttemptForm, AttemptItem  # noqa: F401
