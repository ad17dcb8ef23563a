"""Write monitors/data/pinyin.tsv: the toneless pinyin readings of the 6,763 GB2312 characters.

The normaliser folds pinyin written for a lexicon word's characters (wu残留, jieyan, 稳zhuan) back to the word; it
needs each character's readings, heteronyms included (调: tiao, diao). pypinyin has them but is not a runtime
dependency: this script is run by hand when the table should change, with pypinyin installed beside it:
`pip install pypinyin==0.55.0 && python scripts/pinyin_table.py`.
"""

from pathlib import Path

from pypinyin import Style, pinyin

TABLE = Path(__file__).resolve().parent.parent / "monitors" / "data" / "pinyin.tsv"


def gb2312_characters() -> list[str]:
    """Every hanzi of GB2312 (rows 16-87), in code order."""
    found = []
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                found.append(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return found


def main() -> None:
    lines = ["# character<TAB>toneless pinyin readings (ü as v), from pypinyin 0.55.0; written by scripts/pinyin_table.py"]
    for char in gb2312_characters():
        readings = dict.fromkeys(pinyin(char, style=Style.NORMAL, heteronym=True, v_to_u=False)[0])
        readings = [reading for reading in readings if reading.isascii() and reading.isalpha()]
        if readings:
            lines.append(f"{char}\t{' '.join(readings)}")
    TABLE.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
