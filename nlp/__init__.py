"""NLP over crawled text: normalisation, jieba segmentation, review sentiment, pain points, hot-term trends and
title keywords."""
