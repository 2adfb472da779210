"""The desk's dialogs: each runs one operation and returns a typed result from ``ask``."""

from .base import OpDialog
from .cancel import CancelDialog, CancelResult
from .deliver import CompleteDialog, CompleteResult, DeliverDialog, DeliverResult
from .mark_paid import MarkPaidDialog, MarkPaidResult
from .open_request import OpenRequestDialog, OpenRequestResult
from .record_outside import RecordOutsideDialog, RecordOutsideResult
from .restore import RestoreDialog, RestoreResult
from .review import ReviewDialog, ReviewResult

__all__ = [
    "CancelDialog",
    "CancelResult",
    "CompleteDialog",
    "CompleteResult",
    "DeliverDialog",
    "DeliverResult",
    "MarkPaidDialog",
    "MarkPaidResult",
    "OpDialog",
    "OpenRequestDialog",
    "OpenRequestResult",
    "RecordOutsideDialog",
    "RecordOutsideResult",
    "RestoreDialog",
    "RestoreResult",
    "ReviewDialog",
    "ReviewResult",
]
