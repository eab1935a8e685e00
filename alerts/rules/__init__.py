"""Alert rules: a YAML file of conditions → levels, validated with line numbers, evaluated per mention."""
