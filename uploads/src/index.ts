// @reeltime/uploads: work in progress (issue 24).
export {};
