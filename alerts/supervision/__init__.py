"""Supervision figures (督办考核): per department and period, with CSV and XLSX export."""
