"""Scrapy crawler turning sputnikglobe.com into a Hive-partitioned Parquet dataset."""
