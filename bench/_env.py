"""What the benchmarks drop from the environment before starting the app."""

# Variables that would point the app at other services or settings than the bench's own.
DROPPED_ENV = {
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_HOST",
    "EMAIL_BACKEND",
    "SITE_URL",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "PRIVATE_ROOT",
    "SEAL_DIR",
    "PEERCOACH_VAR_DIR",
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SECRET_KEY",
    "SECURE_SSL_REDIRECT",
    "TRUSTED_PROXY_COUNT",
    "REMINDERS_IN_PROCESS",
}
