/** Where a video's outputs live in the Archive: everything under `media/<video_id>/`. */
export const mediaKeys = (videoId: string) => {
  const root = `media/${videoId}`;
  return {
    root,
    master: `${root}/master.m3u8`,
    /** The DASH MPD of a CMAF package, beside the master playlist and over the same segments. */
    mpd: `${root}/manifest.mpd`,
    metadata: `${root}/metadata.json`,
    renditionDir: (name: string) => `${root}/${name}`,
    playlist: (name: string) => `${root}/${name}/index.m3u8`,
    /** CMAF: the audio track a rendition encodes (one per audio bitrate, on the highest rendition using it). */
    audioDir: (name: string) => `${root}/${name}/audio`,
    /** Written after every segment and the playlist of a rendition: its presence means "complete". */
    marker: (name: string) => `${root}/${name}/rendition.json`,
    thumbnails: `${root}/thumbnails`,
    /** A subtitle rendition: its WebVTT file and HLS media playlist (see subtitles/manifests.ts). */
    subtitles: (language: string) => ({
      vtt: `${root}/subtitles/${language}.vtt`,
      playlist: `${root}/subtitles/${language}.m3u8`,
    }),
  };
};
