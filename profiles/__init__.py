"""Shipped platform profiles: one TOML platform table per real marketplace (jd, tmall, taobao, pinduoduo, douyin),
which a platform in config.toml starts from with `preset = "<id>"`. Data only: config.py reads and validates them."""
