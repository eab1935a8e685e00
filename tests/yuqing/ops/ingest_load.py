"""A crawl child's share of the SQLite concurrency test, in a process of its own as the
scheduler's crawls are: ingest `count` mentions numbered from `start` (analyse, store, alert
evaluation, which writes alerts) in small batches, then print how many were stored.

    python -m tests.yuqing.ops.ingest_load DATA_DIR START COUNT
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

from tests.builders import mention
from yuqing.records import SHANGHAI
from yuqing.settings import Settings, StorageSettings
from yuqing.wiring import build_ingestor

BATCH = 5
TEXTS = [
    "泰山港华燃气岱岳区停气三天，客服电话一直打不通，{n}号楼居民做不了饭",
    "泰安港华燃气这个月燃气费多收了两百，{n}号的表走得太快了，投诉没人管",
    "新泰市青云街道平阳小区{n}号楼气压低，壁挂炉打不着火，泰安港华燃气快来看看",
    "感谢泰安港华燃气抢修师傅半夜上门，{n}号楼的燃气味很快就处理好了",
]


def main() -> None:
    data_dir, start, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    ingestor = build_ingestor(Settings(storage=StorageSettings(data_dir=data_dir)))
    stored = 0
    now = datetime.now(SHANGHAI)  # recent posts: old ones are stored but open no alert
    try:
        for first in range(start, start + count, BATCH):
            numbers = range(first, min(first + BATCH, start + count))
            done = ingestor.ingest([mention(n, TEXTS[n % len(TEXTS)].format(n=n),
                                            published_at=now - timedelta(minutes=n % 600))
                                    for n in numbers])
            stored += done.result.inserted
    finally:
        ingestor.close()
    print(json.dumps({"stored": stored}))


if __name__ == "__main__":
    main()
