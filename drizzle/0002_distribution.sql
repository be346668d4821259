CREATE TABLE `distribution_payments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`network` text NOT NULL,
	`chain_id` integer NOT NULL,
	`token_address` text NOT NULL,
	`external_id` text NOT NULL,
	`receiver` text NOT NULL,
	`amount` text NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`source` text NOT NULL,
	`transaction_id` integer NOT NULL,
	`created_at` text NOT NULL,
	`superseded_at` text,
	FOREIGN KEY (`transaction_id`) REFERENCES `prepared_transactions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `distribution_payments_active` ON `distribution_payments` (`network`,`token_address`,`external_id`) WHERE "distribution_payments"."superseded_at" IS NULL;--> statement-breakpoint
CREATE INDEX `distribution_payments_transaction` ON `distribution_payments` (`transaction_id`);