"""Custom Scrapy commands of watch (``COMMANDS_MODULE``): ``scrapy equation``."""
