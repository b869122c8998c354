"""Project commands (``COMMANDS_MODULE``): ``crawl``, with the project's exit codes."""
