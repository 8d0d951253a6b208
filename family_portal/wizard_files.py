"""The files parents send in the enrolment wizard, kept in private storage until the
confirmation turns the one still chosen into a QF document.

No file outlives its use for long: a wizard keeps one pending file at most (each resend
deletes the one it replaces, see ``EnrolmentWizard``); a finished wizard's files go as
its response ends (formtools' ``reset``); signing out deletes the session's files; and
the periodic job ``purge_wizard_uploads`` deletes those of wizards abandoned or of
expired sessions once older than ``WIZARD_UPLOAD_MAX_AGE``. A parent who comes back to
a wizard after that is told to send the file again.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from formtools.wizard.storage.session import SessionStorage

# The wizard's session key starts with formtools' "wizard_" and the view's prefix.
SESSION_PREFIX = "wizard_inscription_"
LOST_FILE_MESSAGE = (
    "Le justificatif que vous aviez envoyé n'est plus conservé : le parcours est resté "
    "trop longtemps sans suite. Envoyez-le à nouveau."
)


def folder() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT) / "wizard"


uploads = FileSystemStorage(location=folder())


class WizardSessionStorage(SessionStorage):
    """formtools' session storage, for which a file deleted by the purge is a file
    not sent yet (with a French message), not a FileNotFoundError."""

    def get_step_files(self, step):
        try:
            return super().get_step_files(step)
        except FileNotFoundError:
            self.data[self.step_files_key].pop(step, None)
            for key in [key for key in self._files if key[0] == step]:
                del self._files[key]
            if not getattr(self.request, "_wizard_file_lost", False):
                self.request._wizard_file_lost = True
                messages.warning(self.request, LOST_FILE_MESSAGE)
            return None


def delete_session_files(session) -> int:
    """Delete the files every enrolment wizard of this session keeps; how many."""
    deleted = 0
    for key in list(session.keys()):
        data = session.get(key)
        if not key.startswith(SESSION_PREFIX) or not isinstance(data, dict):
            continue
        for step_files in (data.get(SessionStorage.step_files_key) or {}).values():
            for field in step_files.values():
                if uploads.exists(field["tmp_name"]):
                    uploads.delete(field["tmp_name"])
                    deleted += 1
    return deleted


def on_logout(sender, request, user, **kwargs) -> None:
    """The session is about to be emptied: its wizards' files go with it."""
    if request is not None and hasattr(request, "session"):
        delete_session_files(request.session)


def abandoned(now: datetime.datetime | None = None, max_age: int | None = None):
    """The wizard files older than ``max_age`` seconds (WIZARD_UPLOAD_MAX_AGE)."""
    now = now or timezone.now()
    if max_age is None:
        max_age = settings.WIZARD_UPLOAD_MAX_AGE
    root = folder()
    if not root.is_dir():
        return []
    limit = now.timestamp() - max_age
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and path.stat().st_mtime < limit
    )


def purge_abandoned(now=None, max_age=None, *, dry_run=False) -> int:
    """Delete (or count) the abandoned wizard files; how many."""
    paths = abandoned(now, max_age)
    if not dry_run:
        for path in paths:
            path.unlink(missing_ok=True)
    return len(paths)
