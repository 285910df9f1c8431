"""The presentation layer: one number formatter, narrative sentences, great_tables tables and plotnine figures."""
