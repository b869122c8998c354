"""Spider and downloader middlewares; filled by the spider issue."""
