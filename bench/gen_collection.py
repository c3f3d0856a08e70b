#!/usr/bin/python3
"""bench/gen_collection.py: a synthetic music collection for bench/rescan.

Makes N tracks (MP3, Ogg Vorbis and FLAC, one format per album) laid out as
ARTIST/ALBUM/NN TITLE.EXT under DIR/music, about 20 tracks per album: a
handful of ~4-second source files are made with ffmpeg, then each track is
a copy of one of them, tagged with python3-mutagen (artist, album, title,
tracknumber, genre).  Every title holds a made-up word found in no other
track (nor in any artist, album, genre or folder name), so that a one-word
search matches exactly that track, in disorderd (whole words) and in MPD
(substrings) alike.

Writes DIR/manifest.tsv (one track a line: path below DIR/music, artist,
album, title, tracknumber, genre, unique word) and, last, DIR/complete.  A
second run with the same parameters finds DIR/complete and does nothing, so
the collection is made once and reused; with other parameters it replaces
DIR/music.  Run with Debian's python3 (where python3-mutagen is).
"""
import argparse
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys

try:
    import mutagen
except ImportError:
    sys.exit("gen_collection.py: python3-mutagen is missing (apt-get install python3-mutagen; "
             "run this script with /usr/bin/python3)")

# Bump when the layout or the tags change, so that cached collections are remade.
GENERATOR_VERSION = 1
TRACKS_PER_ALBUM = 20
ALBUMS_PER_ARTIST = 20
FORMATS = ("mp3", "ogg", "flac")
SOURCES_PER_FORMAT = 2

# Ordinary words for names.  None contains "xq", the prefix of the unique
# words, so no unique word is a substring of anything else.
ADJECTIVES = """amber ancient autumn bitter blue bright broken burning calm cold crimson
crystal dark deep distant dusty early electric empty endless faded falling first
frozen gentle golden green grey hidden hollow humble iron last late little lonely
lost loud midnight misty modern morning narrow northern old open pale quiet rapid
red restless rising rolling rusty sacred secret silent silver simple sleeping slow
solar southern spinning stone strange summer sunny sweet tender thin velvet violet
wandering warm western white wild winter wooden young""".split()
NOUNS = """anchor angel arrow avenue balloon bell bird bridge canyon castle cathedral
circle city cloud coast compass crown dancer desert diamond dream echo engine
feather field fire flower forest fountain garden ghost glass harbor heart highway
horizon island journey kingdom lake lantern letter light machine meadow mirror moon
mountain ocean orchard palace paper parade planet prairie rain river road rose
sailor season shadow ship signal sky smoke song sparrow star station storm stranger
street sun thunder tide tower train traveler valley voice wave whisper window wing
wolf""".split()
GENRES = """Rock Pop Jazz Blues Folk Country Classical Electronic Ambient Reggae
Soul Funk Metal Punk Hip-Hop Techno House Trance Disco Gospel Latin Ska Swing Grunge
Baroque""".split()
CONSONANTS = "bdfgklmnprstvz"
VOWELS = "aeiou"


def unique_word(i):
    """The made-up word of track i: "xq" then three consonant-vowel syllables."""
    syllables = [c + v for c in CONSONANTS for v in VOWELS]
    n = len(syllables)
    if i >= n ** 3:
        raise ValueError("too many tracks for the unique words")
    return "xq" + syllables[i // (n * n)] + syllables[i // n % n] + syllables[i % n]


def plan(tracks, seed=1):
    """The tracks as dicts, in album order; deterministic for (tracks, seed)."""
    rng = random.Random(seed)
    albums = max(1, (tracks + TRACKS_PER_ALBUM - 1) // TRACKS_PER_ALBUM)
    artists = max(1, (albums + ALBUMS_PER_ARTIST - 1) // ALBUMS_PER_ARTIST)
    pairs = [(a, n) for a in ADJECTIVES for n in NOUNS]
    rng.shuffle(pairs)
    artist_names = []
    for k in range(artists):
        a, n = pairs[k % len(pairs)]
        name = f"The {a.title()} {n.title()}s"
        if k >= len(pairs):
            name += f" {k // len(pairs) + 1}"
        artist_names.append(name)
    # Album titles: unique within an artist.
    album_pairs = pairs[artists:] or pairs
    out = []
    # Spread the tracks over the albums as evenly as possible.
    base, extra = divmod(tracks, albums)
    t = 0
    # Scatter the unique words so that neighbouring tracks do not share
    # leading syllables (closer to real, unrelated titles).
    order = list(range(tracks))
    rng.shuffle(order)
    for al in range(albums):
        artist = artist_names[al // ALBUMS_PER_ARTIST]
        a, n = album_pairs[(al * 7919) % len(album_pairs)]
        album = f"{a.title()} {n.title()}"
        if al >= len(album_pairs):
            album += f" {al // len(album_pairs) + 1}"
        fmt = FORMATS[al % len(FORMATS)]
        genre = GENRES[rng.randrange(len(GENRES))]
        count = base + (1 if al < extra else 0)
        for no in range(1, count + 1):
            word = unique_word(order[t])
            title = " ".join([word.capitalize(), rng.choice(ADJECTIVES).title(),
                              rng.choice(NOUNS).title()])
            rel = os.path.join(artist, album, f"{no:02d} {title}.{fmt}")
            out.append({"path": rel, "artist": artist, "album": album, "title": title,
                        "tracknumber": f"{no}/{count}", "genre": genre, "word": word,
                        "format": fmt, "source": t % SOURCES_PER_FORMAT})
            t += 1
    return out


def make_sources(directory):
    """~4-second tagless source files, SOURCES_PER_FORMAT per format."""
    os.makedirs(directory, exist_ok=True)
    codecs = {"mp3": ["-c:a", "libmp3lame", "-b:a", "128k"],
              "ogg": ["-c:a", "libvorbis", "-q:a", "3"],
              "flac": ["-c:a", "flac"]}
    sources = {}
    for fmt, codec in codecs.items():
        for k in range(SOURCES_PER_FORMAT):
            path = os.path.join(directory, f"source{k}.{fmt}")
            subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                            "-i", f"sine=f={330 + 110 * k}:d={4 + k / 2}:r=44100", "-ac", "2",
                            "-map_metadata", "-1", *codec, path], check=True)
            sources[(fmt, k)] = path
    return sources


def tag_file(path, t):
    f = mutagen.File(path, easy=True)
    if f is None:
        raise RuntimeError(f"mutagen cannot read {path}")
    if f.tags is None:
        f.add_tags()
    for key in ("artist", "album", "title", "tracknumber", "genre"):
        f[key] = t[key]
    f.save()


def make_album(job):
    music, sources, album_tracks = job
    for t in album_tracks:
        path = os.path.join(music, t["path"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copyfile(sources[(t["format"], t["source"])], path)
        tag_file(path, t)
    return len(album_tracks)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tracks", type=int, default=20000)
    ap.add_argument("--dir", default="/tmp/disorder-bench-collection")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    if args.tracks < 1:
        ap.error("--tracks must be at least 1")

    top = os.path.abspath(args.dir)
    music = os.path.join(top, "music")
    marker = os.path.join(top, "complete")
    params = {"version": GENERATOR_VERSION, "tracks": args.tracks}
    try:
        with open(marker) as f:
            if json.load(f) == params:
                if not args.quiet:
                    print(f"collection of {args.tracks} tracks already in {music}")
                return
    except (OSError, ValueError):
        pass

    os.makedirs(top, exist_ok=True)
    # The servers may run as another user (nobody): everything readable.
    os.chmod(top, 0o755)
    if os.path.exists(marker):
        os.remove(marker)
    shutil.rmtree(music, ignore_errors=True)
    tracks = plan(args.tracks)
    if not args.quiet:
        print(f"generating {len(tracks)} tracks in {music} ...", flush=True)
    sources = make_sources(os.path.join(top, "sources"))
    albums = {}
    for t in tracks:
        albums.setdefault(os.path.dirname(t["path"]), []).append(t)
    jobs = [(music, sources, ts) for ts in albums.values()]
    done = 0
    with multiprocessing.Pool(max(1, args.jobs)) as pool:
        for n in pool.imap_unordered(make_album, jobs, chunksize=4):
            done += n
            if not args.quiet and done % 2000 < n:
                print(f"  {done} tracks", flush=True)
    for dirpath, dirnames, filenames in os.walk(music):
        os.chmod(dirpath, 0o755)
    with open(os.path.join(top, "manifest.tsv"), "w", encoding="utf-8") as f:
        cols = ("path", "artist", "album", "title", "tracknumber", "genre", "word")
        f.write("\t".join(cols) + "\n")
        for t in tracks:
            f.write("\t".join(t[c] for c in cols) + "\n")
    with open(marker, "w") as f:
        json.dump(params, f)
    if not args.quiet:
        print(f"collection of {len(tracks)} tracks ready in {music}")


if __name__ == "__main__":
    main()
