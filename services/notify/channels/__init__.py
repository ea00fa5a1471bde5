"""The four ways to reach someone: SMTP email (or a maildir), SMS gateway, webhook, inbox."""
