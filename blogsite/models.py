"""What the task engine does not keep: which email went to whom, and why a task failed."""

from django.db import models


class EmailDelivery(models.Model):
    """One email handed to the mail server, by its idempotency key and recipient.

    The row is inserted in the transaction that sends the message and commits
    once the server has accepted it: a retried task finds it and sends nothing
    twice. ``key`` names the cause (``comment:42``, ``article-published:7``).
    """

    key = models.CharField(max_length=200)
    recipient = models.EmailField(max_length=254)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "recipient"], name="one_email_per_key_and_recipient")]
        verbose_name_plural = "email deliveries"

    def __str__(self) -> str:
        return f"{self.key} → {self.recipient}"


class TaskFailure(models.Model):
    """A failed attempt of a queued job, with the error, for staff in the admin.

    procrastinate records that a job failed but not why; the worker's middleware
    (blogsite/task_engine.py) adds a row here for every attempt that raised.
    """

    job_id = models.BigIntegerField(db_index=True)
    task_name = models.CharField(max_length=200)
    attempt = models.PositiveIntegerField()
    error = models.TextField()
    traceback = models.TextField()
    failed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-failed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.task_name} (job {self.job_id}, attempt {self.attempt}): {self.error}"
