"""Background jobs run by RQ workers. Jobs take ids, reload from the database and are
safe to run twice.

Routes and the demo use only this package's public API (``autoorder.jobs.api``, re-exported
here); the periodic duties live in ``jobs.tick`` and their schedule in ``jobs.schedule``.
"""

from autoorder.jobs.api import (  # noqa: F401 - the public API
    after_commit,
    canary_folder,
    enqueue_checkout_check,
    enqueue_erasure,
    enqueue_handoff,
    enqueue_login_test,
    enqueue_notification,
    enqueue_order,
    enqueue_poll,
    enqueue_tracking_check,
    load_login_checks,
    order_job_id,
)
from autoorder.jobs.tick import resume_after_top_up, resume_out_of_credits  # noqa: F401
