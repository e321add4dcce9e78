"""The RQ worker process: runs jobs inside the Flask app context."""

from rq.worker import HerokuWorker

from autoorder.extensions import db


class AppWorker(HerokuWorker):
    """A HerokuWorker (clean SIGTERM handling) whose work-horses run inside the app context."""

    def __init__(self, *args, app=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app

    def work(self, *args, **kwargs):
        with self.app.app_context():
            # The parent must not hand pooled DB connections to forked work-horses.
            db.engine.dispose()
            return super().work(*args, **kwargs)

    def perform_job(self, job, queue):
        with self.app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()
