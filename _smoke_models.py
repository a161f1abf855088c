import json, time, sys, logging
from pathlib import Path
import pytest
import torch; torch.set_num_threads(2)
from tests import tiny_models as tm, tiny_musicgen as tmg, tiny_wav2lip as tw, tiny_video as tvid, tiny_stable_audio as tsa
from vidgen.config import Settings
from vidgen.store import Store
from vidgen.models.registry import Registry
from vidgen.models.bench import bench, summary
root = Path("/tmp/bsm"); hub = root / "hub"
mp = pytest.MonkeyPatch(); tm.offline_hub(mp, hub)
if not (hub / "models--tiny-org--tiny-sdxl").exists():
    tm.make_hf_cache(hub, root / "scratch")
    tmg.save_tiny_musicgen(hub)
    tw.save_wav2lip(hub)
    tvid.save_tiny_svd(hub)
    tsa.save_tiny_stable_audio(hub)
reg = Registry(Store(Settings.from_env(root / "data")))
ids = {}
for repo, kind in [(tm.SDXL_REPO, "image"), (tmg.REPO, "music")]:
    try: ids[kind] = reg.add(repo, kind).id
    except Exception as e: ids[kind] = [s.id for s in reg.list(kind) if s.repo == repo][0]
todo = sys.argv[1:] or [ids["image"], ids["music"], "wav2lip-gan", "svd-xt", "stable-audio-open-1.0"]
for mid in todo:
    t = time.perf_counter()
    try:
        r = bench(reg, mid)
        print(mid, round(time.perf_counter() - t, 1), "|", summary(r), "|", r["work"], r["load_cpu_reason"], flush=True)
    except Exception as e:
        import traceback; traceback.print_exc()
