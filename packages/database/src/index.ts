// @reeltime/database: work in progress (issue 24).
export {};
