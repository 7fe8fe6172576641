// @reeltime/catalogue: work in progress (issue 24).
export {};
