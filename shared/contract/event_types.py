"""The integration events' type names, the stages and the filer's channels: the wire's
vocabulary, for a consumer that needs the names without the schemas."""

NOTIFY_CHANNELS = ("email", "sms", "webhook")

FILED = "case.filed"
ACCEPTED = "case.accepted"
REFERRED = "case.referred"
ASSIGNED = "case.assigned"
TRANSFERRED = "case.transferred"
INFORMATION_REQUESTED = "case.information_requested"
INFORMATION_SUPPLIED = "case.information_supplied"
PUBLIC_UPDATE = "case.public_update"
RESPONDED = "case.responded"
RATED = "case.rated"
RATING_INVALIDATED = "case.rating_invalidated"
REVIEW_CONCLUDED = "case.review_concluded"
RECTIFIED = "case.rectified"
FOLLOWED_UP = "case.followed_up"
REOPENED = "case.reopened"
CLOSED = "case.closed"
DEADLINE_EXTENDED = "case.deadline_extended"
DEADLINE_RECOMPUTED = "case.deadline_recomputed"
DEADLINE_APPROACHING = "case.deadline_approaching"
DEADLINE_BREACHED = "case.deadline_breached"
ESCALATED = "case.escalated"
# The case's personal data was erased (its key destroyed): forget everything about the filer.
PERSONAL_DATA_ERASED = "case.personal_data_erased"
STAGES = ("accept", "reply", "rectify", "return_visit")
