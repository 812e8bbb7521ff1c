"""Page templates, stylesheets and scripts of reportgen (data files)."""
