"""Failures a test can plan: error statuses, slow or cut answers, bad bodies."""
