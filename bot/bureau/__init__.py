"""Bureau (county) and town office (司法所) staff: accounts, passwords, API tokens, access and the audit log."""
