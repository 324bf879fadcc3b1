"""Microsoft 365 (Outlook calendars through Microsoft Graph) as a calendar backend."""
