"""Article item (the dataset schema); filled by the spider issue."""
