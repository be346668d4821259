CREATE TABLE `payout_payments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`network` text NOT NULL,
	`chain_id` integer NOT NULL,
	`payout_address` text NOT NULL,
	`holder` text NOT NULL,
	`external_id` text NOT NULL,
	`amount` text NOT NULL,
	`shares` text NOT NULL,
	`transaction_id` integer NOT NULL,
	`created_at` text NOT NULL,
	`paid_amount` text,
	`reconciled_at` text,
	`superseded_at` text,
	FOREIGN KEY (`transaction_id`) REFERENCES `prepared_transactions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payout_payments_active` ON `payout_payments` (`network`,`payout_address`,`external_id`) WHERE "payout_payments"."superseded_at" IS NULL;--> statement-breakpoint
CREATE INDEX `payout_payments_transaction` ON `payout_payments` (`transaction_id`);--> statement-breakpoint
CREATE INDEX `payout_payments_holder` ON `payout_payments` (`payout_address`,`holder`);