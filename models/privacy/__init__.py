"""Personal data (Decree 13/2023/NĐ-CP; Law 91/2025/QH15): the privacy notice and its
version (notice), how long things are kept (retention), who read whose data (reads), and
an official's own data as a file (my_data)."""
