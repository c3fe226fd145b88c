"""The course format (docs/content-format.md): the model, its schema, parsing and writing.

One concern per module: ``model`` (frozen dataclasses and typed policies), ``yaml_lines``
(the line-aware YAML reader), ``schema`` (every key of the format), ``parse`` (text to the
model, every problem reported at once) and ``write`` (the model back to folder text).
Reading and writing folders on disk is ``ceu.files``: this package never touches the disk.
"""

from ceu.domain.content.model import (
    CATALOG_FIELDS,
    Accreditation,
    BlueprintEntry,
    ContactHours,
    ContentError,
    Course,
    CourseInvalid,
    CoursePolicy,
    Difficulty,
    Disclosures,
    EvaluationItem,
    EvaluationItemType,
    GradingMethod,
    KnowledgeCheckPolicy,
    Level,
    Module,
    Objective,
    Person,
    Pool,
    PostTestPolicy,
    Question,
    ReadingPolicy,
    Reference,
    ReviewPolicy,
    Scoring,
    Section,
    apa_citation,
    content_hash,
)
from ceu.domain.content.parse import compute_contact_hours, module_reading_minutes, parse_course
from ceu.domain.content.schema import (
    COURSE_FILE,
    FORMAT_VERSION,
    MAX_FILE_BYTES,
    MIN_ITEMS_PER_OBJECTIVE,
)

__all__ = [
    "Accreditation",
    "CATALOG_FIELDS",
    "COURSE_FILE",
    "FORMAT_VERSION",
    "MAX_FILE_BYTES",
    "MIN_ITEMS_PER_OBJECTIVE",
    "BlueprintEntry",
    "ContactHours",
    "ContentError",
    "Course",
    "CourseInvalid",
    "CoursePolicy",
    "Difficulty",
    "Disclosures",
    "EvaluationItem",
    "EvaluationItemType",
    "GradingMethod",
    "KnowledgeCheckPolicy",
    "Level",
    "Module",
    "Objective",
    "Person",
    "Pool",
    "PostTestPolicy",
    "Question",
    "ReadingPolicy",
    "Reference",
    "ReviewPolicy",
    "Scoring",
    "Section",
    "apa_citation",
    "compute_contact_hours",
    "module_reading_minutes",
    "content_hash",
    "parse_course",
]
