CREATE TABLE `balance_corrections` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`token_id` integer NOT NULL,
	`holder_id` integer NOT NULL,
	`verification_id` integer NOT NULL,
	`block_number` integer NOT NULL,
	`scanned_balance` text NOT NULL,
	`chain_balance` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`token_id`) REFERENCES `scanned_tokens`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`holder_id`) REFERENCES `token_holders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`verification_id`) REFERENCES `scan_verifications`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `balance_corrections_block` ON `balance_corrections` (`token_id`,`block_number`);--> statement-breakpoint
CREATE TABLE `scan_verifications` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`token_id` integer NOT NULL,
	`block_number` integer NOT NULL,
	`status` text NOT NULL,
	`total_supply` text,
	`scanned_supply` text NOT NULL,
	`holders_checked` integer NOT NULL,
	`holders_differing` integer NOT NULL,
	`differences` text NOT NULL,
	`cause` text,
	`checked_at` text NOT NULL,
	FOREIGN KEY (`token_id`) REFERENCES `scanned_tokens`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `scan_verifications_block` ON `scan_verifications` (`token_id`,`block_number`);--> statement-breakpoint
ALTER TABLE `networks` ADD `genesis_hash` text;--> statement-breakpoint
ALTER TABLE `balance_changes` ADD `correction` integer DEFAULT 0 NOT NULL;