-- MySQL dump
CREATE TABLE `customers` (
  `id` int NOT NULL,
  `email` varchar(255),
  `card_number` varchar(19)
);
INSERT INTO `customers` VALUES (1,'a@b.io','4539148803436467');
