"""What every subsystem shares: settings and the home folder, project paths, periods, the registry,
the texts in four languages, atomic writes, SQLite connections."""
