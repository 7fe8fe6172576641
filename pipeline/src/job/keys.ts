/** Where a video's outputs live in the Archive: everything under `media/<video_id>/`. */
export const mediaKeys = (videoId: string) => {
  const root = `media/${videoId}`;
  return {
    root,
    master: `${root}/master.m3u8`,
    metadata: `${root}/metadata.json`,
    renditionDir: (name: string) => `${root}/${name}`,
    playlist: (name: string) => `${root}/${name}/index.m3u8`,
    /** Written after every segment and the playlist of a rendition: its presence means "complete". */
    marker: (name: string) => `${root}/${name}/rendition.json`,
    thumbnails: `${root}/thumbnails`,
  };
};
