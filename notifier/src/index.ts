// @reeltime/notifier: work in progress (issue 24).
export {};
